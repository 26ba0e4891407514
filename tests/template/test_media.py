"""Media in conversations: tags, OpenAI content parts, counts, paths (pure Python)."""

from __future__ import annotations

import pytest

from swift.protocol import InferRequest
from swift.template import TemplateError
from swift.template.media import check_counts, flatten_parts, resolve_paths, row_media, split_tags

PNG = "data:image/png;base64,iVBORw0KGgo="


def test_content_parts_become_tags_and_media_in_order():
    text, media = flatten_parts(
        [
            {"type": "text", "text": "Compare "},
            {"type": "image_url", "image_url": {"url": PNG, "detail": "low"}},
            {"type": "text", "text": " with "},
            {"type": "image", "image": "b.png"},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        ]
    )
    assert text == "Compare <image> with <image><audio>"
    assert media == {"images": [PNG, "b.png"], "videos": [], "audios": ["data:audio/wav;base64,UklGRg=="]}


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ([{"type": "picture", "url": "x"}], "has type 'picture'; known types: text"),
        ([{"type": "image_url", "image_url": {"url": ""}}], "has no image"),
        ([42], "must be an object"),
    ],
)
def test_malformed_parts_say_which_part(parts, reason):
    with pytest.raises(TemplateError, match=reason):
        flatten_parts(parts, "message 2")


def test_tags_and_media_must_match():
    check_counts(["<image>a", "b <image>"], {"images": ["1", "2"]})
    with pytest.raises(TemplateError, match="2 <image> tags but 1 image in 'images'"):
        check_counts(["<image>a<image>"], {"images": ["1"]})
    with pytest.raises(TemplateError, match="0 <video> tags but 1 video in 'videos'"):
        check_counts(["hi"], {"videos": ["v.mp4"]})
    assert split_tags("a<image>b<video>") == ["a", "<image>", "b", "<video>"]


def test_relative_paths_resolve_against_the_dataset_folder():
    assert resolve_paths(["img/a.png", "/abs/b.png", PNG, "https://x/y.png"], "/data") == [
        "/data/img/a.png",
        "/abs/b.png",
        PNG,
        "https://x/y.png",
    ]
    assert resolve_paths({"path": "a.png", "bytes": None}, "/d") == {"path": "/d/a.png", "bytes": None}
    assert resolve_paths({"path": "a.png", "bytes": b"x"}, "/d") == {"path": "a.png", "bytes": b"x"}
    assert row_media({"images": "one.png"})["images"] == ["one.png"]


def test_infer_request_reads_openai_image_parts():
    request = InferRequest(
        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG}}, "What is it?"]}]
    )
    assert request.messages[0]["content"] == "<image>What is it?"
    assert request.images == [PNG] and request.has_media
    assert not InferRequest(messages=[{"role": "user", "content": "hi"}]).has_media
    with pytest.raises(ValueError, match="1 <image> tag but 2 images"):
        InferRequest(messages=[{"role": "user", "content": "<image>"}], images=[PNG, PNG])
