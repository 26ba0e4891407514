"""Datasets: ``--dataset`` specs, file formats, preprocessing to ``messages`` rows, encoding.

Public entry points (import the modules, this package stays light)::

    from swift_transformers.data.loading import load_datasets
    from swift_transformers.data.encoding import encode_dataset

    train, val = load_datasets(args)          # standardized {"messages": [...], ...} rows
    train = encode_dataset(train, template, args)   # input_ids, labels, length
"""
