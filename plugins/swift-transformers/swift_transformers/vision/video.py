"""Videos for the Qwen-VL families: decoding (PyAV), frame sampling and the model's video tensors.

A video of a row or request is a file path, ``file://``/``data:`` URL, base64 text or bytes (as
an image is, :mod:`.media`), or a list of frames (images, in order; ms-swift accepts that too).
Files are decoded with **PyAV** (``av``: FFmpeg in its wheel, no torchvision needed).

Frames are sampled as ms-swift's Qwen templates do (its ``qwen_vl_utils`` settings, read from the
environment or ``--model_kwargs``): ``FPS`` frames per second of video (default 2), at least
``FPS_MIN_FRAMES`` (4) and at most ``FPS_MAX_FRAMES`` (768) and the video's own frame count,
rounded down to a multiple of 2 (two frames make one temporal patch); ``NFRAMES`` fixes the count
instead. Each frame is resized within ``VIDEO_MIN_PIXELS`` … ``VIDEO_MAX_PIXELS`` (128 … 768
tokens of 28 × 28 pixels), and the frames of one video together within ``VIDEO_TOTAL_PIXELS``.

The tensors are what Qwen2-VL's (and Qwen3-VL's) video processor gives: every frame resized and normalised by the
checkpoint's image processor exactly as an image of that size would be, then consecutive frame
pairs stacked into temporal patches — ``pixel_values_videos`` of ``t·h·w`` rows, ``video_grid_thw``
``(t, h, w)`` — and, for Qwen2.5-VL, ``second_per_grid_ts`` (seconds per temporal patch, for its
time-aligned positions); Qwen3-VL instead writes each temporal patch's time in the text
(``<1.2 seconds>`` before its tokens, :class:`VideoLayout`). A video of two equal frames gives
exactly the patches of that frame as an image (the image processor repeats an image over the
temporal patch); the tests check that.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swift.kernel import UsageError
from swift_transformers.vision.media import MediaError, load_image, media_bytes

#: Largest video file read (bytes).
MAX_VIDEO_BYTES = 1024 * 1024 * 1024
#: Largest frame decoded (pixels; 8K is 33 M).
MAX_FRAME_PIXELS = 64 * 1024 * 1024
TOKEN_PIXELS = 28 * 28
FRAME_FACTOR = 2
#: ms-swift's environment names (``--model_kwargs`` sets them too) → the :class:`VideoSettings` field.
VIDEO_ENV = {
    "FPS": "fps",
    "FPS_MIN_FRAMES": "min_frames",
    "FPS_MAX_FRAMES": "max_frames",
    "NFRAMES": "nframes",
    "VIDEO_MIN_PIXELS": "min_pixels",
    "VIDEO_MAX_PIXELS": "max_pixels",
    "VIDEO_TOTAL_PIXELS": "total_pixels",
}


@dataclass(frozen=True)
class VideoSettings:
    """Frame sampling and size bounds of videos (see the module docstring)."""

    fps: float = 2.0
    min_frames: int = 4
    max_frames: int = 768
    nframes: int | None = None
    min_pixels: int = 128 * TOKEN_PIXELS
    max_pixels: int = 768 * TOKEN_PIXELS
    total_pixels: int = 24576 * TOKEN_PIXELS

    @classmethod
    def from_env(cls) -> VideoSettings:
        """The settings of the environment (``FPS_MAX_FRAMES=16`` …), defaults elsewhere.

        Raises:
            UsageError: A value that is not a positive number.
        """
        values: dict[str, Any] = {}
        for env, field in VIDEO_ENV.items():
            raw = os.environ.get(env)
            if not raw:
                continue
            try:
                value = float(raw) if field == "fps" else int(raw)
            except ValueError:
                raise UsageError(f"{env}={raw!r} must be a number") from None
            if value <= 0:
                raise UsageError(f"{env}={raw!r} must be positive")
            values[field] = value
        return cls(**values)

    def frame_count(self, total: int, video_fps: float) -> int:
        """How many of ``total`` frames to sample (a multiple of 2 unless the video has fewer)."""
        if self.nframes is not None:
            count = self.nframes
        else:
            wanted = round(total / max(video_fps, 1e-6) * self.fps)
            count = min(max(wanted, self.min_frames), self.max_frames, total)
        count = min(count, total)
        if count >= FRAME_FACTOR:
            count -= count % FRAME_FACTOR
        return max(count, 1)

    def pixel_bounds(self, frames: int) -> tuple[int, int]:
        """``(min, max)`` pixels of one frame of a video of ``frames`` sampled frames."""
        budget = self.total_pixels / max(frames, 1) * FRAME_FACTOR
        return self.min_pixels, int(max(min(self.max_pixels, budget), self.min_pixels * 1.05))


@dataclass
class Video:
    """Sampled frames (RGB ``PIL`` images), the frames per second they stand for, and when each was shown (s)."""

    frames: list[Any]
    fps: float
    times: list[float]


@dataclass(frozen=True)
class VideoLayout:
    """How one video's tokens are laid out.

    ``patches`` temporal patches of ``frame_tokens`` tokens each; ``times``: each temporal patch's
    time in seconds (the middle of its frames; Qwen3-VL writes them).
    """

    patches: int
    frame_tokens: int
    times: tuple[float, ...]

    @property
    def tokens(self) -> int:
        """All the video's tokens."""
        return self.patches * self.frame_tokens


def _decode(data: bytes, settings: VideoSettings, what: str) -> Video:
    """The sampled frames of a video file's first video stream.

    Only the sampled frames are kept: where the container does not say how many frames it holds,
    a first pass counts them and a second keeps the sampled ones (memory stays bounded by what is
    kept, whatever the video's length).
    """
    try:
        import av
    except ImportError:
        raise MediaError("videos are decoded with PyAV: pip install av") from None
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.video:
                raise MediaError(f"video {what} has no video stream")
            stream = container.streams.video[0]
            if (stream.width or 0) * (stream.height or 0) > MAX_FRAME_PIXELS:
                raise MediaError(f"video {what}: frames of {stream.width} × {stream.height} are too large")
            rate = float(stream.average_rate or 0) or 25.0
            total = int(stream.frames or 0)
            if total <= 0:
                total = sum(1 for _ in container.decode(stream))
                container.seek(0)
            if total <= 0:
                raise MediaError(f"video {what} holds no frame")
            picks = _evenly(total, settings.frame_count(total, rate))
            wanted, kept = set(picks), {}
            for index, frame in enumerate(container.decode(stream)):
                if index in wanted:
                    kept[index] = frame.to_image().convert("RGB")
                if index >= picks[-1]:
                    break
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"video {what} is not a readable video: {exc}") from None
    picks = [i for i in picks if i in kept]  # a container that over-counts: the frames it has
    if not picks:
        raise MediaError(f"video {what} holds no frame")
    return Video([kept[i] for i in picks], len(picks) / total * rate, [i / rate for i in picks])


def _evenly(total: int, count: int) -> list[int]:
    """``count`` frame indices from 0 to ``total - 1``, evenly spaced (rounded)."""
    if count == 1:
        return [0]
    return [round(i * (total - 1) / (count - 1)) for i in range(count)]


def load_video(value: Any, settings: VideoSettings, *, allow_remote: bool = True, allow_files: bool = True) -> Video:
    """``value`` (see the module docstring) decoded and sampled.

    Raises:
        MediaError: With what cannot be read and why.
    """
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        if not value:
            raise MediaError("a video given as frames needs at least one frame")
        frames = [load_image(v, allow_remote=allow_remote, allow_files=allow_files) for v in value]
        # frames given as a list were shown at FPS frames per second
        picks = _evenly(len(frames), settings.frame_count(len(frames), settings.fps))
        return Video([frames[i] for i in picks], settings.fps, [i / settings.fps for i in picks])
    what = repr(value if isinstance(value, str) and len(value) <= 60 else type(value).__name__)
    if isinstance(value, Mapping) and value.get("path") and not value.get("bytes"):
        value = value["path"]
    data = media_bytes(value, allow_remote=allow_remote, allow_files=allow_files, limit=MAX_VIDEO_BYTES, kind="video")
    return _decode(data, settings, what)


def video_features(
    videos: list[Video], processor: Any, settings: VideoSettings
) -> tuple[dict[str, Any], list[VideoLayout]]:
    """The model's video tensors and the token layout of each video.

    ``processor``: the checkpoint's Qwen2-VL image processor (its patch, merge and temporal patch sizes).
    """
    import numpy as np
    import torch

    patch, merge = int(processor.patch_size), int(processor.merge_size)
    temporal = int(getattr(processor, "temporal_patch_size", 2))
    pixels, grids, seconds, layouts = [], [], [], []
    for video in videos:
        frames, times = list(video.frames), list(video.times)
        pad = -len(frames) % temporal  # whole temporal patches: repeat the last frame
        frames, times = frames + [frames[-1]] * pad, times + [times[-1]] * pad
        low, high = settings.pixel_bounds(len(frames))
        size = {"shortest_edge": low, "longest_edge": high}
        try:
            out = processor(images=frames, size=size, return_tensors="np")
        except (ValueError, TypeError, OSError) as exc:
            raise MediaError(f"the image processor rejects a video frame: {exc}") from None
        grid = out["image_grid_thw"]
        if len({tuple(g) for g in grid.tolist()}) != 1:
            raise MediaError("the frames of a video differ in size")
        _, h, w = (int(x) for x in grid[0])
        # each frame's patches hold it `temporal` times over: keep one copy, stack consecutive frames
        per_frame = out["pixel_values"].reshape(len(frames), h * w, -1, temporal, patch * patch)[:, :, :, 0]
        t = len(frames) // temporal
        stacked = per_frame.reshape(t, temporal, h * w, -1, patch * patch).transpose(0, 2, 3, 1, 4)
        pixels.append(np.ascontiguousarray(stacked).reshape(t * h * w, -1))
        grids.append([t, h, w])
        seconds.append(temporal / video.fps)
        middles = tuple((times[i] + times[i + temporal - 1]) / 2 for i in range(0, len(times), temporal))
        layouts.append(VideoLayout(t, h * w // (merge * merge), middles))
    features = {
        "pixel_values_videos": torch.from_numpy(np.concatenate(pixels, axis=0)),
        "video_grid_thw": torch.tensor(grids, dtype=torch.long),
        "second_per_grid_ts": torch.tensor(seconds, dtype=torch.float32),
    }
    return features, layouts
