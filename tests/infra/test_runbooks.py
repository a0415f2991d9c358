"""Every CloudWatch alarm of every stack, in dev and prod, ends its description with a pointer to its
section of docs/runbooks.md, and that section exists as a heading there.

Read from the session's synthesized templates: an alarm that reaches a template without a runbook,
however it was built, fails here.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from leadflow.config import REPO_ROOT
from leadflow.runbooks import RUNBOOKS, runbook_section
from stacks.observability import ACCOUNT_THROTTLES

from .cfn import flatten, props, resources
from .conftest import Synthesized

#: CloudWatch's limit on AlarmDescription
MAX_DESCRIPTION = 1024
POINTER = re.compile(rf"Runbook: {re.escape(RUNBOOKS)}#([a-z0-9-]+)$")


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> list[str]:
    """The anchors of the document's headings (a `#` line inside a fenced code block is not one)."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return [slug(m.group(1)) for m in re.finditer(r"^#{1,6} +(.+?) *#*$", prose, flags=re.MULTILINE)]


def problems(templates: dict[str, dict[str, Any]], markdown: str) -> list[str]:
    """One line per alarm without a runbook pointer, pointing at a missing heading, or too long."""
    known = set(anchors(markdown))
    out = []
    for template in templates.values():
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
            name = flatten(props(alarm)["AlarmName"])
            description = flatten(props(alarm).get("AlarmDescription", ""))
            if len(description) > MAX_DESCRIPTION:
                out.append(f"{name}: description is {len(description)} characters (CloudWatch allows 1024)")
            found = POINTER.search(description)
            if found is None:
                out.append(f"{name}: no 'Runbook: {RUNBOOKS}#<section>' at the end of its description")
            elif found.group(1) not in known:
                out.append(f"{name}: no heading for #{found.group(1)} in {RUNBOOKS}")
    return sorted(out)


def test_every_alarm_points_to_its_runbook_section(synth: Synthesized) -> None:
    markdown = (REPO_ROOT / RUNBOOKS).read_text()
    alarms = list(synth.resources("AWS::CloudWatch::Alarm"))
    assert len(alarms) >= 20, "the stage's alarms were not found"
    assert problems(synth.templates, markdown) == []


def test_the_runbook_headings_are_unique() -> None:
    found = anchors((REPO_ROOT / RUNBOOKS).read_text())
    assert len(found) == len(set(found)), sorted(a for a in found if found.count(a) > 1)


def test_a_missing_pointer_a_missing_section_and_a_long_description_are_each_caught(dev: Synthesized) -> None:
    markdown = (REPO_ROOT / RUNBOOKS).read_text()
    templates = copy.deepcopy(dev.templates)
    alarms = [a["Properties"] for t in templates.values() for a in resources(t, "AWS::CloudWatch::Alarm").values()]
    no_pointer, no_section, too_long = alarms[:3]
    no_pointer["AlarmDescription"] = "Something happened"
    no_section["AlarmDescription"] = f"Something happened. Runbook: {RUNBOOKS}#no-such-section"
    too_long["AlarmDescription"] = "x" * 1000 + f". Runbook: {RUNBOOKS}#queue-age"
    assert len(too_long["AlarmDescription"]) > MAX_DESCRIPTION
    names = [flatten(a["AlarmName"]) for a in (no_pointer, no_section, too_long)]
    assert problems(templates, markdown) == sorted(
        [
            f"{names[0]}: no 'Runbook: {RUNBOOKS}#<section>' at the end of its description",
            f"{names[1]}: no heading for #no-such-section in {RUNBOOKS}",
            f"{names[2]}: description is {len(too_long['AlarmDescription'])} characters (CloudWatch allows 1024)",
        ]
    )
    # and the same alarms pass when the runbook has the section
    assert f"{names[1]}: no heading" not in " ".join(problems(templates, markdown + "\n## No such section\n"))


def test_slugs_follow_github() -> None:
    assert slug("Dead letters: upload-events") == "dead-letters-upload-events"
    assert slug("REST 5XX") == "rest-5xx"
    assert anchors("# Runbooks\n\ntext\n## Queue age\n```bash\n# a comment, not a heading\n```\n## REST 5XX\n") == [
        "runbooks",
        "queue-age",
        "rest-5xx",
    ]


def test_the_region_wide_throttles_alarm_has_its_own_section() -> None:
    # a function's own throttles alarm (reserved concurrency) has another
    assert runbook_section(ACCOUNT_THROTTLES) == "lambda-throttles"
    assert runbook_section("twilio-sms-throttles") == "function-throttles"
    assert runbook_section("enrichment-errors-2") == "function-errors"
