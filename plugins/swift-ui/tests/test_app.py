"""``swift app`` in a real browser: streamed chat, settings, clear, adapters by name, --base_url, --lang zh."""

from __future__ import annotations

import time

import pytest

# Records every text the last answer bubble shows, to see the answer grow (streaming).
_WATCH = """
() => {
  window.__answers = [];
  const root = document.querySelector('#chatbot');
  new MutationObserver(() => {
    const bots = root.querySelectorAll('[data-testid="bot"]');
    if (bots.length) window.__answers.push(bots[bots.length - 1].innerText);
  }).observe(root, {subtree: true, childList: true, characterData: true});
}
"""


def bot_texts(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('#chatbot [data-testid="bot"]')]


def ask(page, text: str, n_answers: int) -> str:
    """Type ``text``, send it, wait for the ``n_answers``-th answer to finish; returns it."""
    page.fill("#message textarea", text)
    page.click("#send")
    page.wait_for_function(f"document.querySelectorAll('#chatbot [data-testid=\"bot\"]').length >= {n_answers}")
    return wait_settled(page)


def wait_settled(page, quiet: float = 1.0, timeout: float = 60.0) -> str:
    """The last answer once it stopped changing for ``quiet`` seconds and no request is pending."""
    deadline, last, since = time.time() + timeout, None, time.time()
    while time.time() < deadline:
        texts = bot_texts(page)
        current = texts[-1] if texts else None
        busy = page.query_selector("#chatbot .pending, #send[disabled]") is not None
        if current != last or busy:
            last, since = current, time.time()
        elif time.time() - since >= quiet and current:
            return current
        time.sleep(0.1)
    raise AssertionError(f"the answer did not settle: {last!r}")


def set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


@pytest.fixture
def app_url(tiny_model_dir, tmp_path, run_swift, free_port):
    """``swift app`` over the tiny model (greedy, 24 new tokens) → its URL."""
    port = free_port()
    argv = ["app", "--model", tiny_model_dir, "--server_port", str(port), "--temperature", "0"]
    argv += ["--max_new_tokens", "24"]
    with run_swift(argv, tmp_path, f"http://127.0.0.1:{port}/"):
        yield f"http://127.0.0.1:{port}/"


def test_app_streams_answers_and_settings_change_them(app_url, page, screens):
    page.goto(app_url)
    page.wait_for_selector("#message textarea")
    assert "tiny-qwen3" in page.inner_text("#title")
    screens.take(page, "app-open")
    page.evaluate(_WATCH)

    first = ask(page, "Hello, who are you?", 1)
    seen = [t for t in page.evaluate("window.__answers") if t.strip()]
    assert first.strip(), "no answer appeared"
    # streamed: the bubble showed shorter beginnings of the final answer before it
    assert len(set(seen)) >= 2 and any(len(t) < len(first) and first.startswith(t.strip()) for t in seen), seen
    screens.take(page, "app-answer")

    # a setting changes the next answer: 2 new tokens instead of 24, same greedy beginning
    set_slider(page, "max_new_tokens", 2)
    page.click("#regenerate")
    page.wait_for_timeout(300)
    short = wait_settled(page)
    assert len(bot_texts(page)) == 1, "regenerate replaces the answer"
    assert 0 < len(short) < len(first) and first.startswith(short.strip()[:1]), (short, first)
    screens.take(page, "app-short-answer")

    # multi-turn: a second question keeps the first exchange
    ask(page, "And again?", 2)
    assert len(bot_texts(page)) == 2
    assert "Hello, who are you?" in page.inner_text("#chatbot")

    page.click("#clear")
    page.wait_for_function("document.querySelectorAll('#chatbot [data-testid=\"bot\"]').length === 0")
    assert "Hello, who are you?" not in page.inner_text("#chatbot")
    screens.take(page, "app-cleared")


def test_app_against_a_running_deploy_server_with_its_key(
    tiny_model_dir, tmp_path, run_swift, free_port, page, screens
):
    api_port, ui_port = free_port(), free_port()
    deploy = ["deploy", "--model", tiny_model_dir, "--port", str(api_port), "--host", "127.0.0.1"]
    deploy += ["--served_model_name", "served-tiny", "--max_new_tokens", "8"]
    key = {"SWIFT_API_KEY": "k-123"}  # the key never goes on a command line
    with run_swift(deploy, tmp_path, f"http://127.0.0.1:{api_port}/health", env=key):
        app = ["app", "--base_url", f"http://127.0.0.1:{api_port}/v1", "--server_port", str(ui_port)]
        app += ["--lang", "zh", "--studio_title", "远程模型"]
        with run_swift(app, tmp_path, f"http://127.0.0.1:{ui_port}/", env=key):
            page.goto(f"http://127.0.0.1:{ui_port}/")
            page.wait_for_selector("#message textarea")
            assert "远程模型" in page.inner_text("#title")
            assert "发送" in page.inner_text("#send") and "清空对话" in page.inner_text("#clear")
            assert "served-tiny" in page.input_value("#model_choice input")
            answer = ask(page, "你好", 1)
            assert answer.strip()
            screens.take(page, "app-remote-zh")


def test_app_without_a_model_fails_before_serving(tmp_path, free_port):
    import subprocess
    import sys

    started = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "swift.cli.main", "app", "--server_port", str(free_port())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2, out.stderr
    assert "swift app needs a model" in out.stderr
    assert time.time() - started < 30
    assert list(tmp_path.iterdir()) == []


def make_adapter(model_dir: str, folder, seed: int) -> str:
    """A LoRA adapter with random (non-zero) weights: it changes the model's greedy answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(str(folder))
    return str(folder)


def choose(page, elem_id: str, option: str) -> None:
    page.click(f"#{elem_id} input")
    page.get_by_role("option", name=option, exact=True).click()


def test_app_serves_several_adapters_by_name(tiny_model_dir, tmp_path, run_swift, free_port, page, screens):
    first = make_adapter(tiny_model_dir, tmp_path / "adapter-a", 1)
    second = make_adapter(tiny_model_dir, tmp_path / "adapter-b", 2)
    port = free_port()
    argv = ["app", "--model", tiny_model_dir, "--adapters", f"alpha={first}", f"beta={second}"]
    argv += ["--server_port", str(port), "--temperature", "0", "--max_new_tokens", "12"]
    with run_swift(argv, tmp_path, f"http://127.0.0.1:{port}/"):
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#message textarea")
        answers = {"tiny-qwen3": ask(page, "Tell me a story.", 1)}
        for name in ("alpha", "beta"):
            choose(page, "model_choice", name)
            page.click("#regenerate")
            page.wait_for_timeout(300)
            answers[name] = wait_settled(page)
        screens.take(page, "app-adapters")
    assert len(set(answers.values())) == 3, answers  # each name answers with its own weights
