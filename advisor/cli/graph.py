"""``advisor graph``: fault-domain metrics of both options, side by side."""

from __future__ import annotations

from pathlib import Path

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    InputFile,
    complete_set,
    emit_json,
    format_option,
    load_questionnaire,
    questionnaire_option,
)


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.option("--profile", "profile_path", type=InputFile("profile"), metavar="FILE",
              help="Workload profile; missing answers take the questionnaire defaults.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", shell_complete=complete_set,
              help="Override an answer (repeatable).")
@click.option("--topology", "topologies", multiple=True, type=InputFile("topology"),
              metavar="FILE", help="Describe a real fleet instead (repeatable: one column per file).")
@format_option("mermaid")
def graph(questionnaire_path: Path | None, profile_path: Path | None, sets: tuple[str, ...],
          topologies: tuple[Path, ...], fmt: str) -> None:
    """Show blast radius, kernel sharing and quorum metrics of both options.

    From a profile, the bare-metal and the VM-backed topology are generated (see
    docs/fault-domains.md for the model); with --topology, each file is a real fleet.

    \b
    Examples:
      advisor graph --profile payments.profile.yaml
      advisor graph --set physical_hosts=200 --set microservices_per_host=40
      advisor graph --profile payments.profile.yaml --format mermaid >> record.md
      advisor graph --topology fleet.yaml --format json
    """
    from tabulate import tabulate

    from advisor import faultdomain

    if topologies:
        results = [faultdomain.analyze_file(path) for path in topologies]
        result = faultdomain.Result(
            " + ".join(r.source for r in results), tuple(o for r in results for o in r.options), None
        )
    else:
        from advisor import profile as profiles

        questionnaire = load_questionnaire(questionnaire_path)
        gathered = profiles.gather(questionnaire, profile_path=profile_path, sets=sets, use_defaults=True,
                                   reask=(), mode="full", interactive=False)
        answers = {**questionnaire.defaults(), **gathered.profile.values()}
        result = faultdomain.analyze(answers)
    if fmt == "json":
        emit_json(faultdomain.to_json(result), sort_keys=True)
    elif fmt == "mermaid":
        console.out(faultdomain.to_mermaid(result), end="")
    else:
        console.out(tabulate(faultdomain.metrics_table(result), headers=faultdomain.metrics_headers(result),
                             tablefmt="simple", maxcolwidths=[None] + [None] * len(result.options) + [60]))
