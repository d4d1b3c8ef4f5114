"""Rendering parameters of the synthetic face video (frame size, noise, distractors)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from .._validate import check_int, check_positive

__all__ = ["FaceConfig"]


@dataclass(frozen=True)
class FaceConfig:
    """Rendering parameters of the synthetic face video.

    Parameters
    ----------
    height, width : int
        Frame size in pixels, even, >= 32 (a face crop; default 160 x 136, small for CI;
        other aspect ratios show more of the photograph around the face).
    noise_sd : float
        Standard deviation of the additive Gaussian sensor noise in grey levels (0: off).
    blink_rate : float
        Mean rate of eye blinks in Hz (Poisson; 0: off). Blinks are not annotated.
    blink_duration : float
        Duration of a blink in seconds (closing takes the first third).
    blink_amplitude : float
        Downward travel of the upper lids at full closure, in output pixels.
    head_shift_rate : float
        Mean rate of small global head translations in Hz (Poisson; 0: off).
    head_shift_max : float
        Largest head translation in output pixels (each shift draws a magnitude in
        ``[0.2, head_shift_max]`` and a random direction, turned back towards the start
        when it would leave it by more than 1 px: the head stays within 1 px).
    head_shift_duration : float
        Duration of one (smooth) head translation in seconds.
    motion_scale : float
        Factor on every displacement in output pixels: expression amplitudes, blink
        travel and head shifts (and their 1 px bound). 1 keeps the pixel values given
        here; the generator sets it to the face's size relative to the default frame,
        so that motions keep their size relative to the face at any resolution.
    """

    height: int = 160
    width: int = 136
    noise_sd: float = 1.5
    blink_rate: float = 0.25
    blink_duration: float = 0.3
    blink_amplitude: float = 5.0
    head_shift_rate: float = 0.1
    head_shift_max: float = 0.8
    head_shift_duration: float = 1.0
    motion_scale: float = 1.0

    def __post_init__(self):
        check_int("height", self.height, min_value=32)
        check_int("width", self.width, min_value=32)
        if self.height % 2 or self.width % 2:
            raise ValueError(
                f"Invalid value for 'height, width': expected even numbers (the lossless HuffYUV "
                f"video writer needs them), got ({self.height!r}, {self.width!r})"
            )
        for name in ("noise_sd", "blink_rate", "blink_amplitude", "head_shift_rate", "head_shift_max"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_positive("blink_duration", self.blink_duration)
        check_positive("head_shift_duration", self.head_shift_duration)
        check_positive("motion_scale", self.motion_scale)
        if self.head_shift_max >= 1.0:
            raise ValueError(
                f"Invalid value for 'head_shift_max': expected a number of pixels < 1, "
                f"got {self.head_shift_max!r}"
            )

    def quiet(self) -> FaceConfig:
        """The same configuration without noise, blinks or head shifts."""
        return replace(self, noise_sd=0.0, blink_rate=0.0, head_shift_rate=0.0)
