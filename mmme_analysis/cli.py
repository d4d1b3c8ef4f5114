"""Command line: ``mmme synth``, ``mmme convert``, ``mmme check``, ``mmme info``, ``mmme demo``."""
from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from pathlib import Path

__all__ = ["main"]


def _frame_size(text: str):
    """``"2048x1088"`` -> (2048, 1088) (width, height)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT (e.g. 2048x1088), got {text!r}") from None
    return w, h


def _synth(args) -> int:
    from .synth.generator import SynthConfig, synthesize

    cfg = SynthConfig(n_subjects=args.subjects, n_trials=args.trials, duration=args.duration, seed=args.seed,
                      null=args.null, write_frames=args.frames, write_video=not args.no_video, size=args.size,
                      codec=args.codec)
    out = synthesize(args.out_dir, cfg, overwrite=args.overwrite)
    print(f"wrote synthetic dataset to {out}")
    return 0


def _convert(args) -> int:
    from .convert import convert, read_problems

    with warnings.catch_warnings():  # its summary is printed below
        warnings.filterwarnings("ignore", message=r"convert: \d+ of \d+ trials not converted")
        out = convert(args.raw_dir, args.store, workers=args.workers, scheduler=args.scheduler,
                      overwrite=args.overwrite, face_size=args.face_size, proxy_side=args.proxy_side,
                      progress=sys.stderr.isatty())
    problems = read_problems(out)
    print(f"wrote store {out}")
    if problems.empty:
        return 0
    named = "; ".join(f"{r.trial or r.subject} ({r.modality}: {_short(r.error)})" for r in problems.itertuples())
    print(textwrap.fill(f"mmme convert: {len(problems)} problem(s), the store holds the rest: {named}. The whole "
                        f"table: mmme_analysis.convert.read_problems({str(out)!r}).", width=100), file=sys.stderr)
    return 1


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check(args) -> int:
    from .check import check_store

    table = check_store(args.store, progress=sys.stderr.isatty())
    if table.empty:
        print("ok")
        return 0
    print(table.to_string(index=False))
    return 1


def _info(args) -> int:
    from .dataset import open_dataset
    from .demo import data_path

    ds = open_dataset(args.path if args.path is not None else data_path())
    print(repr(ds))
    print(ds.trials.to_string(index=False))
    return 0


def _demo(args) -> int:
    from .demo import data_path

    print(data_path(progress=True))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mmme", description="Multimodal micro-expression data tools.")
    p.add_argument("--path-log", default=None, metavar="FILE",
                   help="append the full paths (with participant folder names) behind every pseudonymised "
                        "message to FILE; personal data: off by default")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="write a synthetic dataset in the MMME raw layout")
    s.add_argument("out_dir")
    s.add_argument("--subjects", type=int, default=3, help="participants (default 3)")
    s.add_argument("--trials", type=int, default=4, help="stimulus trials per participant (default 4, max 42)")
    s.add_argument("--duration", type=float, default=6.0, help="seconds per trial (default 6; MMME: ~60)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--null", action="store_true", help="plant no physiological coupling")
    s.add_argument("--frames", action="store_true", help="also write XIMEA-style .tif frames")
    s.add_argument("--no-video", action="store_true", help="write no trial videos (physiology-only, fast)")
    s.add_argument("--size", type=_frame_size, default=None, metavar="WxH",
                   help="video frame size, even, >= 64 (default 136x160; the MMME camera: 2048x1088)")
    s.add_argument("--codec", default="huffyuv", choices=("huffyuv", "ffv1", "mjpeg", "h264"),
                   help="video codec: huffyuv (lossless, default), ffv1 (lossless), mjpeg or h264 (lossy, .mp4)")
    s.add_argument("--overwrite", action="store_true")
    s.set_defaults(func=_synth)

    c = sub.add_parser("convert", help="convert a raw dataset folder to a Zarr store")
    c.add_argument("raw_dir")
    c.add_argument("store")
    c.add_argument("--workers", type=int, default=None, help="dask.distributed worker processes on this machine")
    c.add_argument("--scheduler", default=None,
                   help="address of a dask.distributed scheduler (tcp://host:8786) to convert on a cluster; "
                        "its workers must see RAW_DIR and STORE at the same paths")
    c.add_argument("--face-size", type=int, default=128, help="side (px) of the stored face crops (default 128)")
    c.add_argument("--proxy-side", type=int, default=128, help="largest side (px) of the browsing proxy (default 128)")
    c.add_argument("--overwrite", action="store_true", help="rewrite trials already complete")
    c.set_defaults(func=_convert)

    k = sub.add_parser("check", help="verify every chunk and trial summary of a store; exit 1 on problems")
    k.add_argument("store")
    k.set_defaults(func=_check)

    i = sub.add_parser("info", help="list the trials of a dataset (default: the demo)")
    i.add_argument("path", nargs="?", default=None)
    i.set_defaults(func=_info)

    d = sub.add_parser("demo", help="build (once) and print the path of the demo store")
    d.set_defaults(func=_demo)
    return p


def _chain(err: BaseException):
    """``err`` and the exceptions it was raised while handling."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__context__


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.path_log:
        import logging

        from .dataset.session import PATH_LOG

        handler = logging.FileHandler(Path(args.path_log).expanduser(), encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        PATH_LOG.addHandler(handler)
        PATH_LOG.setLevel(logging.DEBUG)
    try:
        try:
            return args.func(args)
        except Exception as err:  # an error while unwinding from Ctrl-C (closing a cluster) is the interrupt
            if any(isinstance(e, KeyboardInterrupt) for e in _chain(err)):
                raise KeyboardInterrupt from None
            raise
    except KeyboardInterrupt:
        print(f"mmme {args.command}: interrupted (a rerun resumes; complete trials are kept)"
              if args.command == "convert" else f"mmme {args.command}: interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, FileExistsError, ValueError, KeyError, TypeError) as err:
        print(f"mmme {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
