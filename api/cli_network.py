"""`sendplan network ...` and `sendplan bench matrix`: road networks, points for another router.

``network_app`` is mounted by the main CLI as ``sendplan network``; ``bench_matrix_cmd`` is
registered as ``sendplan bench matrix``. Only ``network build --place`` goes online.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sendplan.api.cli_common import (
    SEED_MAX,
    PostcodesOption,
    fail_cleanly,
    load_with_postcodes,
    progress,
)
from sendplan.errors import InputError

if TYPE_CHECKING:
    from sendplan.geo.network import Profile

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
        # Imported here, as every command's library code is: `--help` and usage errors need none.
        from sendplan.geo.network import build_network, save_network
        from sendplan.geo.osm import download_place, read_graphml, read_osm_xml, read_pbf

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
        from sendplan.geo.calibrate import calibrate_straight_line
        from sendplan.geo.network import load_network
        from sendplan.geo.network_model import NetworkTravelModel

        model = NetworkTravelModel(load_network(graph, profiles=("drive",)))
        result = calibrate_straight_line(model, pairs=pairs, seed=seed)
        typer.echo(json.dumps(result.as_dict(), sort_keys=True))

    fail_cleanly(run)


POINTS_HELP = (
    "Write every child, school and depot (index,id,kind,lon,lat, in a fixed order) for your own "
    "router's matrix.\n\n"
    "Send the points, in this order, to your router as both sources and destinations (OSRM "
    "/table with annotations=duration,distance, or Valhalla sources_to_targets); save its answer "
    "as NAME.json beside this file named NAME.points.csv, then pass --matrix NAME.json to place "
    "or routes.\n\n"
    "The file holds children's HOME LOCATIONS (personal data): keep it as you keep children.csv "
    "and send it only to a router you control."
)


@network_app.command("points", help=POINTS_HELP)
def points_cmd(
    scenario_path: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario folder or .xlsx workbook.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="CSV to write (index,id,kind,lon,lat). It holds children's HOME LOCATIONS: "
            "keep it as you keep children.csv.",
        ),
    ],
    postcodes: PostcodesOption = None,
) -> None:
    """Write the points file for another router's matrix (see POINTS_HELP)."""

    def run() -> None:
        from sendplan.api.loader import SCENARIO_FILES
        from sendplan.geo.router_json import place_rows, write_points_csv

        target, source = out.resolve(), scenario_path.resolve()
        if target == source or (target.parent == source and target.name in SCENARIO_FILES):
            raise InputError("--out", "would overwrite the scenario's own file")
        scenario = load_with_postcodes(scenario_path, postcodes)
        places = place_rows(
            [(c.child_id, c.lon, c.lat) for c in scenario.children],
            [(s.school_id, s.lon, s.lat) for s in scenario.schools],
            [(v.name, v.depot_lon, v.depot_lat) for v in scenario.fleet],
        )
        write_points_csv(places, out)
        typer.echo(
            f"wrote {len(places)} places to {out} (children's home locations: keep it as you "
            "keep children.csv)"
        )

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
        from sendplan.bench.matrix import bench_matrix

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
