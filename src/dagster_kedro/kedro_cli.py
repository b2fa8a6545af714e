"""``kedro dagster-kedro init`` / ``kedro dagster-kedro dev``: from a Kedro project to the Dagster UI.

A Kedro plugin, registered the way kedro-viz and kedro-airflow register theirs: the entry point
group ``kedro.project_commands`` names :data:`commands`, a click group whose subgroup appears in
``kedro --help`` when run inside a Kedro project; Kedro passes the project's metadata
(``ProjectMetadata``: ``project_path``, ``package_name``) as the click context object.
The files come from :mod:`dagster_kedro.dg_project`; this module only parses and reports.

Kedro imports this module for every ``kedro`` command of every project in the environment, so it
imports neither dagster nor the rest of dagster_kedro (the package's ``__init__`` is lazy): the
commands import :mod:`dagster_kedro.dg_project` when they run. ``kedro run`` pays nothing for us.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

DEFAULT_FOLDER = "dagster-project"  # inside the Kedro project, versioned with it; not importable (no `dagster` shadow)
_DIR_HELP = "The dg project's folder, relative to the Kedro project root."


@click.group(name="dagster-kedro")
def commands() -> None:
    """Kedro plugin commands of dagster-kedro."""


@commands.group(name="dagster-kedro")
def dagster_kedro() -> None:
    """Run this Kedro project on Dagster (a dg project holding dagster-kedro's component)."""


@dagster_kedro.command()
@click.option("--dir", "folder", default=DEFAULT_FOLDER, show_default=True, help=_DIR_HELP)
@click.option("--env", "-e", default=None, help="Kedro configuration environment written into defs.yaml.")
@click.option("--force", is_flag=True, help="Overwrite the files of an existing dg project in --dir.")
@click.pass_obj
def init(metadata, folder: str, env: str | None, force: bool) -> None:
    """Write a dg project for this Kedro project (no network, no create-dagster)."""
    from dagster_kedro.dg_project import write_dg_project
    from dagster_kedro.errors import KedroComponentError

    try:
        layout = write_dg_project(Path(metadata.project_path), metadata.package_name, Path(folder), env, force)
    except KedroComponentError as error:
        raise click.ClickException(str(error)) from None
    where = os.path.relpath(layout.root, Path.cwd())
    click.echo(f"Wrote the dg project {where}/ and its component {os.path.relpath(layout.defs_yaml, Path.cwd())}.")
    click.echo(f"Default jobs are named {metadata.package_name}__<pipeline> (__default__ reads as default).")
    click.echo("Next: `kedro dagster-kedro dev` opens the Dagster UI; "
               f"`cd {where} && dg launch --job {metadata.package_name}__default` runs it once.")


@dagster_kedro.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--dir", "folder", default=DEFAULT_FOLDER, show_default=True, help=_DIR_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Host the Dagster UI listens on.")
@click.option("--port", "-p", default=3000, show_default=True, type=int, help="Port of the Dagster UI.")
@click.argument("dg_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def dev(metadata, folder: str, host: str, port: int, dg_args: tuple[str, ...]) -> None:
    """Start `dg dev` (webserver and daemon) in the dg project; other options go to `dg dev`."""
    from dagster_kedro.dg_project import dev_command
    from dagster_kedro.errors import KedroComponentError

    root = (Path(metadata.project_path) / folder).resolve()
    try:
        argv, env = dev_command(root, host, port, dg_args)
    except KedroComponentError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Starting {' '.join(argv[1:])} in {root} (DAGSTER_HOME={env['DAGSTER_HOME']}).")
    os.chdir(root)
    os.execvpe(argv[0], argv, env)  # dg takes this process over: Ctrl-C and signals reach it
