"""The gallery's view of the example scripts' pictures.

Every script in ``examples/`` draws its figures into files (PNG stills, GIF animations) in the
folder its first argument names, and closes them. Sphinx-gallery runs each script with
:func:`output_folder` as that argument, and :func:`written_pictures` puts the files the
script wrote there, in the order it wrote them, below its code: the gallery shows the very
pictures the script makes. conf.py names both by their full names, as sphinx-gallery allows.
"""

import os
import shutil
from pathlib import Path

# Where the scripts write, below the gallery's own folder (docs/auto_examples/, not in git).
WRITTEN = "written"


def _folder(script_vars) -> Path:
    target = Path(script_vars["target_file"])  # the script's copy in the gallery's folder
    return target.parent / WRITTEN / target.stem


def output_folder(gallery_conf, script_vars) -> list[str]:
    """The script's arguments: a fresh, empty folder for its pictures.

    The path is relative to the script's own folder, where sphinx-gallery runs it, so what
    the script prints about it names no folder of the machine that built the pages.
    """
    folder = _folder(script_vars)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return [os.path.relpath(folder, Path(script_vars["src_file"]).parent)]


def written_pictures(block, block_vars, gallery_conf) -> str:
    """The reST showing the pictures the script wrote since the last block, oldest first."""
    from sphinx_gallery.scrapers import figure_rst

    folder = _folder(block_vars)
    shown = block_vars.setdefault("descend_shown", set())
    new = [p for p in folder.glob("*") if p.suffix in (".png", ".gif") and p.name not in shown]
    new.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
    rst = ""
    for picture in new:
        shown.add(picture.name)
        # sphinx-gallery numbers the images of an example; an animation keeps .gif
        target = Path(next(block_vars["image_path_iterator"])).with_suffix(picture.suffix)
        shutil.copyfile(picture, target)
        rst += figure_rst([target], gallery_conf["src_dir"], fig_titles=picture.name)
    return rst
