"""`sendplan network ...` and `sendplan bench matrix`: building road networks and timing matrices.

``network_app`` is mounted by the main CLI as ``sendplan network``; ``bench_matrix_cmd`` is
registered as ``sendplan bench matrix``. Only ``network build --place`` goes online.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sendplan.api.cli_common import SEED_MAX, fail_cleanly, progress
from sendplan.bench.matrix import bench_matrix
from sendplan.errors import InputError
from sendplan.geo.calibrate import calibrate_straight_line
from sendplan.geo.network import Profile, build_network, load_network, save_network
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.osm import download_place, read_graphml, read_osm_xml, read_pbf

network_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Build road networks from OpenStreetMap data and check them.",
)


class ProfileChoice(StrEnum):
    drive = "drive"
    walk = "walk"
    both = "both"


@network_app.command("build")
def build_cmd(
    out: Annotated[Path, typer.Option("--out", help="Network file to write (e.g. city.network).")],
    pbf: Annotated[
        Path | None, typer.Option("--pbf", help="An .osm.pbf extract, e.g. from Geofabrik.")
    ] = None,
    osm: Annotated[Path | None, typer.Option("--osm", help="An .osm or .osm.bz2 file.")] = None,
    graphml: Annotated[
        Path | None, typer.Option("--graphml", help="A GraphML file saved by osmnx.")
    ] = None,
    place: Annotated[
        str | None,
        typer.Option("--place", help="Download a place with osmnx (ONLINE, only this option)."),
    ] = None,
    profile: Annotated[
        ProfileChoice, typer.Option("--profile", help="Which networks to build.")
    ] = ProfileChoice.both,
) -> None:
    """Build a drive and/or walk network once; use it later with --network."""

    def run() -> None:
        sources = {"--pbf": pbf, "--osm": osm, "--graphml": graphml, "--place": place}
        given = [name for name, value in sources.items() if value is not None]
        if len(given) != 1:
            raise InputError("command line", "give exactly one of --pbf, --osm, --graphml, --place")
        profiles: tuple[Profile, ...] = (
            ("drive", "walk") if profile is ProfileChoice.both else (profile.value,)  # type: ignore[assignment]
        )
        with progress() as say:
            say(f"reading {given[0][2:]} source")
            if pbf is not None:
                segments = read_pbf(pbf)
            elif osm is not None:
                segments = read_osm_xml(osm)
            elif graphml is not None:
                segments = read_graphml(graphml)
            else:
                segments = download_place(str(place))
            say("building the network")
            network = save_network(build_network(segments, profiles=profiles), out)
        sizes = "; ".join(
            f"{name} {g.n_nodes} nodes, {g.n_edges} edges" for name, g in network.profiles.items()
        )
        typer.echo(f"wrote {out} ({sizes}); travel_model {network.name}")

    fail_cleanly(run)


@network_app.command("calibrate")
def calibrate_cmd(
    graph: Annotated[Path, typer.Argument(metavar="GRAPH", help="Network or map file.")],
    pairs: Annotated[int, typer.Option("--pairs", min=10, help="Random point pairs.")] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=SEED_MAX, help="Seed for the pairs.")
    ] = 0,
) -> None:
    """Print, as JSON, how far straight-line times are from network times (median, p90)."""

    def run() -> None:
        model = NetworkTravelModel(load_network(graph, profiles=("drive",)))
        result = calibrate_straight_line(model, pairs=pairs, seed=seed)
        typer.echo(json.dumps(result.as_dict(), sort_keys=True))

    fail_cleanly(run)


def bench_matrix_cmd(
    origins: Annotated[int, typer.Option("--origins", min=1, help="Origins (e.g. children).")],
    destinations: Annotated[
        int, typer.Option("--destinations", min=1, help="Destinations (e.g. schools).")
    ],
    graph: Annotated[
        Path | None, typer.Option("--graph", help="Network file, .osm.pbf, .osm(.bz2) or GraphML.")
    ] = None,
    synthetic_nodes: Annotated[
        int | None,
        typer.Option("--synthetic-nodes", min=4, help="Use a synthetic street grid instead."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=SEED_MAX, help="Seed for points (and the grid).")
    ] = 0,
    networkx_sample: Annotated[
        int, typer.Option("--networkx-sample", min=1, help="Origins networkx is timed on.")
    ] = 20,
) -> None:
    """Time an origins x destinations drive matrix against networkx; print one JSON object."""

    def run() -> None:
        if (graph is None) == (synthetic_nodes is None):
            raise InputError("command line", "give --graph FILE or --synthetic-nodes N")
        result = bench_matrix(
            graph=graph,
            origins=origins,
            destinations=destinations,
            seed=seed,
            synthetic_nodes=synthetic_nodes,
            networkx_sample=networkx_sample,
        )
        typer.echo(json.dumps(result))

    fail_cleanly(run)
