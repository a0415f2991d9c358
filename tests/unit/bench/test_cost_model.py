"""The cost benchmark's pricing model: known counts in, dollars worked out by hand in the comments."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bench import cost_model as cm

#: round prices so the hand arithmetic stays readable; the real ones live in bench/prices.json
PRICES: dict[str, Any] = {
    "lambda": {
        "request": {"price": 0.2},
        "x86_64_gb_s": {"price": 0.0000166667},
        "arm64_gb_s": {"price": 0.0000133334},
    },
    "dynamodb": {
        "write_request_unit": {"price": 0.625},
        "read_request_unit": {"price": 0.125},
        "storage_gb_month": {"price": 0.25},
    },
    "sqs": {"standard_request": {"price": 0.4}, "fifo_request": {"price": 0.5}},
    "eventbridge": {"custom_event": {"price": 1.0}},
    "s3": {
        "standard_gb_month": {"price": 0.023},
        "tier1_request": {"price": 0.005},
        "tier2_request": {"price": 0.0004},
    },
    "apigateway": {
        "rest_request": {"price": 3.5},
        "websocket_message": {"price": 1.0},
        "websocket_connection_minute": {"price": 0.25},
    },
    "cloudwatch": {
        "logs_ingestion_gb": {"price": 0.5},
        "logs_storage_gb_month": {"price": 0.03},
        "alarm_metric_standard": {"price": 0.1},
        "alarm_metric_high_resolution": {"price": 0.3},
        "composite_alarm": {"price": 0.5},
        "dashboard_month": {"price": 3.0},
        "custom_metric_month": {"price": 0.3},
    },
    "secretsmanager": {"secret_month": {"price": 0.4}, "api_call": {"price": 0.05}},
    "waf": {"web_acl_month": {"price": 5.0}, "rule_month": {"price": 1.0}, "request": {"price": 0.6}},
    "ses": {"email": {"price": 0.1}},
    "sns": {"publish": {"price": 0.5}, "http_delivery": {"price": 0.6}, "email_delivery": {"price": 2.0}},
    "llm": {"input_token_cache_miss": {"price": 0.28}, "output_token": {"price": 0.42}},
}


# ---------------------------------------------------------------- chunks, units, rounding


@pytest.mark.parametrize(
    ("size", "expected"),
    [(0, 1), (1, 1), (64 * 1024, 1), (64 * 1024 + 1, 2), (256 * 1024, 4), (300 * 1024, 5)],
)
def test_a_payload_is_billed_per_started_64_kb_chunk(size: int, expected: int) -> None:
    # 300 KB / 64 KB = 4.69 -> 5 requests; an empty payload still is one request
    assert cm.chunks(size) == expected


def test_lambda_rounds_each_invocation_up_to_the_millisecond() -> None:
    # 12.0001 ms of CPU + 6 ms waiting = 18.0001 ms -> 19 ms; exactly 18 ms stays 18; nothing is 1 ms
    assert cm.billed_ms(0.0120001, 6.0) == 19
    assert cm.billed_ms(0.012, 6.0) == 18
    assert cm.billed_ms(0.0, 0.0) == 1
    # 19 ms at 512 MB = 0.019 s x 0.5 GB = 0.0095 GB-s
    assert cm.gb_seconds(19, 512) == pytest.approx(0.0095)


def test_read_units_round_to_4_kb_and_depend_on_consistency() -> None:
    # 5,000 bytes -> 2 units of 4 KB; eventually consistent halves it, strongly consistent does not,
    # a transactional read doubles it
    assert cm.read_units(5000) == 1.0
    assert cm.read_units(5000, consistent=True) == 2.0
    assert cm.read_units(5000, transactional=True) == 4.0
    # a miss still costs the minimum
    assert cm.read_units(0) == 0.5


def test_write_units_round_to_1_kb_transactions_double_and_indexes_add_their_copy() -> None:
    # 1,500 bytes -> 2 WRU; in a transaction 4; with three global indexes holding it 2 + 3 x 2 = 8
    assert cm.write_units(1500) == 2
    assert cm.write_units(1500, transactional=True) == 4
    assert cm.write_units(1500, index_copies=3) == 8
    assert cm.write_units(1500, transactional=True, index_copies=1) == 6


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    item = {
        "pk": {"S": "lead#1"},  # 2 + 6
        "n": {"N": "12345"},  # 1 + (5 digits -> 3 bytes + 1) = 5
        "ok": {"BOOL": True},  # 2 + 1
        "tags": {"L": [{"S": "a"}, {"S": "bc"}]},  # 4 + 3 + (1 + 1) + (1 + 2) = 12
        "m": {"M": {"x": {"S": "yz"}}},  # 1 + 3 + (1 + 1 + 2) = 8
    }
    assert cm.item_size(item) == 8 + 5 + 3 + 12 + 8
    # leading and trailing zeros are not significant: 000120.500 -> "1205" -> 2 + 1 bytes
    assert cm.value_size({"N": "000120.500"}) == 3


# ---------------------------------------------------------------- DynamoDB calls


def _item(size: int) -> dict[str, Any]:
    """An item of exactly `size` bytes: pk (2 + 3) and a padding string."""
    return {"pk": {"S": "abc"}, "p": {"S": "x" * (size - 5 - 1)}}


def test_a_transaction_of_a_put_and_an_update_doubles_and_counts_the_indexes() -> None:
    # Given a Put of a 1,000-byte item into a table with one index it lands in (key "pk"), and an
    # Update whose stored item afterwards is 2,100 bytes in a table without indexes
    params = {
        "TransactItems": [
            {"Put": {"TableName": "leads", "Item": _item(1000)}},
            {"Update": {"TableName": "jobs", "Key": {"pk": {"S": "abc"}}}},
            {"ConditionCheck": {"TableName": "jobs", "Key": {"pk": {"S": "abc"}}}},
        ]
    }
    capacity = cm.dynamodb_capacity(
        "TransactWriteItems",
        params,
        {},
        stored=lambda table, key: _item(2100),
        indexes={"leads": [["pk"]]},
    )
    # Put: 1 WRU x 2 (transaction) + 1 (index copy) = 3; Update: 3 WRU x 2 = 6; ConditionCheck: 2
    assert capacity.wru == 3 + 6 + 2
    assert capacity.rru == 0


def test_reads_are_priced_on_what_came_back() -> None:
    # GetItem of 5,000 bytes, eventually consistent: 2 units / 2 = 1 RRU
    assert cm.dynamodb_capacity("GetItem", {}, {"Item": _item(5000)}).rru == 1.0
    # Query of three 2,000-byte items: 6,000 bytes rounded once -> 2 units, strongly consistent = 2 RRU
    query = cm.dynamodb_capacity("Query", {"ConsistentRead": True}, {"Items": [_item(2000)] * 3})
    assert query.rru == 2.0
    # BatchGetItem rounds each item on its own: two 100-byte items = 0.5 + 0.5
    batch = cm.dynamodb_capacity("BatchGetItem", {"RequestItems": {}}, {"Responses": {"t": [_item(100)] * 2}})
    assert batch.rru == 1.0


def test_a_batch_write_prices_each_put_and_a_delete_at_one_unit() -> None:
    params = {"RequestItems": {"t": [{"PutRequest": {"Item": _item(2048)}}, {"DeleteRequest": {"Key": {}}}]}}
    # 2,048 bytes = 2 WRU, the delete 1 WRU
    assert cm.dynamodb_capacity("BatchWriteItem", params, {}).wru == 3


# ---------------------------------------------------------------- SQS and EventBridge


def test_a_batch_of_small_messages_is_one_request_and_a_large_one_is_several() -> None:
    ten_small = {"Entries": [{"MessageBody": "x" * 1000} for _ in range(10)]}
    assert cm.sqs_requests("SendMessageBatch", ten_small, {}) == 1
    # ten 10 KB messages: 100 KB -> 2 chunks
    ten_large = {"Entries": [{"MessageBody": "x" * 10 * 1024} for _ in range(10)]}
    assert cm.sqs_requests("SendMessageBatch", ten_large, {}) == 2
    # a receive is billed on what it returned: 130 KB -> 3 chunks
    received = {"Messages": [{"Body": "x" * 65 * 1024}, {"Body": "x" * 65 * 1024}]}
    assert cm.sqs_requests("ReceiveMessage", {}, received) == 3
    assert cm.sqs_requests("DeleteMessageBatch", {}, {}) == 1


def test_put_events_bills_each_entry_per_chunk() -> None:
    small = {"Source": "leadflow.enrichment", "DetailType": "lead.enriched", "Detail": "{}"}
    big = {**small, "Detail": "x" * 70 * 1024}
    # small: 1 event; big: 19 + 13 + 71,680 bytes -> 2 chunks
    assert cm.eventbridge_events({"Entries": [small, big]}) == 3
    # with Time: 14 bytes + the text
    assert cm.event_entry_size({**small, "Time": "2026-01-01"}) == 14 + 19 + 13 + 2


# ---------------------------------------------------------------- dollars


def test_dollars_of_a_known_usage() -> None:
    usage = cm.Usage(
        functions={"f": cm.FunctionUse(invocations=1_000_000, billed_ms=1_000_000 * 100, memory_mb=1024)},
        dynamodb_rru=2_000_000,
        dynamodb_wru=1_000_000,
        dynamodb_bytes_stored=1024**3,
        sqs_standard_requests=1_000_000,
        sqs_fifo_requests=2_000_000,
        eventbridge_events=3_000_000,
        s3_tier1=1000,
        s3_tier2=10_000,
        s3_bytes_stored=1024**3,
        rest_requests=1_000_000,
        websocket_messages=1_000_000,
        websocket_connection_minutes=4_000_000,
        ses_emails=1000,
        log_bytes=1024**3 - 26 * 1000,
        log_events=1000,
        llm_input_tokens=1_000_000,
        llm_output_tokens=2_000_000,
    )
    usd = cm.dollars(usage, PRICES)
    # 1M requests $0.20 + 100,000 s x 1 GB = 100,000 GB-s x $0.0000166667 = $1.66667
    assert usd["lambda"] == pytest.approx(0.2 + 1.66667)
    # 2M RRU x $0.125 + 1M WRU x $0.625 + 1 GB x $0.25
    assert usd["dynamodb"] == pytest.approx(0.25 + 0.625 + 0.25)
    # 1M x $0.40 + 2M x $0.50
    assert usd["sqs"] == pytest.approx(1.4)
    assert usd["eventbridge"] == pytest.approx(3.0)
    # 1,000 PUTs $0.005 + 10,000 GETs $0.004 + 1 GB-month $0.023
    assert usd["s3"] == pytest.approx(0.032)
    assert usd["apigateway_rest"] == pytest.approx(3.5)
    # 1M messages $1 + 4M connection minutes $1
    assert usd["apigateway_websocket"] == pytest.approx(2.0)
    assert usd["ses"] == pytest.approx(0.1)
    # exactly 1 GB ingested once the 26 bytes per event are added: $0.50 + a month stored $0.03
    assert usd["cloudwatch_logs"] == pytest.approx(0.53)
    # 1M in x $0.28 + 2M out x $0.42
    assert usd["llm"] == pytest.approx(1.12)
    # arm64 duration: 100,000 GB-s x $0.0000133334 = $1.33334
    assert cm.dollars(usage, PRICES, architecture="arm64")["lambda"] == pytest.approx(0.2 + 1.33334)
    assert cm.per_thousand({"x": 2.0}, 4000) == {"x": 0.5}


# ---------------------------------------------------------------- the idle month


def _alarm(period: int = 300, metrics: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"Metrics": metrics} if metrics else {"Period": period}
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


def test_idle_month_counts_alarms_dashboards_secrets_waf_and_pollers_from_templates() -> None:
    math_alarm = _alarm(
        metrics=[
            {"Id": "a", "MetricStat": {"Period": 60}},
            {"Id": "b", "MetricStat": {"Period": 60}},
            {"Id": "e", "Expression": "a+b"},
        ]
    )
    one = {
        "Resources": {
            "A1": _alarm(),
            "A2": _alarm(period=10),
            "A3": math_alarm,
            "C": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {}},
            "D": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
            "S1": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        }
    }
    two = {
        "Resources": {
            "S2": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
            "W": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{}, {}, {}]}},
            "M1": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"BatchSize": 10}},
            "M2": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"BatchSize": 1}},
            "M3": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"StartingPosition": "LATEST"}},
        }
    }
    idle = cm.idle_month([one, two], PRICES, cm.PollerAssumption(pollers=5, wait_s=20))
    d = idle["dollars"]
    # standard metrics: A1 (1) + A3 (2) = 3 x $0.10; high resolution: A2 x $0.30; composite $0.50
    assert d["alarms"] == pytest.approx(0.3 + 0.3 + 0.5)
    assert d["dashboards"] == pytest.approx(3.0)
    assert d["secrets"] == pytest.approx(0.8)
    # one web ACL $5 + three rules $3
    assert d["waf"] == pytest.approx(8.0)
    # two SQS mappings (the stream mapping has a StartingPosition): 5 pollers x 3 polls a minute x
    # 43,200 minutes = 648,000 requests each, 1,296,000 x $0.40 / 1M = $0.5184
    assert idle["counted"]["idle_poller_requests"] == 1_296_000
    assert d["sqs_idle_pollers"] == pytest.approx(0.5184)
    assert idle["total"] == pytest.approx(1.1 + 3.0 + 0.8 + 8.0 + 0.5184)


def test_a_metrics_insights_alarm_is_refused_not_priced_as_one_metric() -> None:
    # billed per metric the query matches (every function of the account, say): unknowable here
    query = _alarm(metrics=[{"Id": "q", "Expression": 'SELECT SUM(Errors) FROM "AWS/Lambda"', "Period": 300}])
    with pytest.raises(ValueError, match="Metrics Insights"):
        cm.idle_month([{"Resources": {"Q": query}}], PRICES)


def test_an_alarm_without_dimensions_is_one_metric() -> None:
    region_wide = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Namespace": "AWS/Lambda", "Period": 300}}
    idle = cm.idle_month([{"Resources": {"T": region_wide}}], PRICES)
    assert idle["counted"]["alarm_metrics_standard"] == 1


# ---------------------------------------------------------------- the seed designs


def test_easy_crm_is_priced_from_its_stated_assumptions() -> None:
    a = cm.EasyCrmAssumptions(
        leads=1000, llm_call_s=8.0, concurrency=5, poll_interval_s=2.0, prompt_tokens=400, lead_tokens_in=60
    )
    result = cm.easy_crm(PRICES, a)
    # 100 messages, 100 LLM calls; the job takes 100 x 8 s / 5 = 160 s, polled every 2 s = 80 polls
    assert result["assumptions"]["llm_calls"] == 100
    assert result["assumptions"]["status_polls"] == 80
    per = result["per_1000_leads"]
    # input: 100 x (400 + 10 x 60) = 100,000 tokens x $0.28/M = $0.028; output 100 x 10 x 70 =
    # 70,000 x $0.42/M = $0.0294
    assert per["llm"] == pytest.approx(0.028 + 0.0294)
    # 300 SQS requests (send, receive, delete per message) x $0.40/M
    assert per["sqs"] == pytest.approx(300 * 0.4 / 1e6)
    # the caller: 100 invocations x 8 s x 0.5 GB = 400 GB-s
    caller_gb_s = 100 * 8 * 0.5
    assert per["lambda"] > caller_gb_s * 0.0000166667
    assert result["total_per_1000_leads"] == pytest.approx(sum(per.values()))


def test_the_fifo_requeue_design_costs_per_idle_hour_and_grows_with_idle_time() -> None:
    hour = cm.fifo_requeue(PRICES, cm.FifoRequeueAssumptions(hours=1, visibility_timeout_s=30))
    # 3,600 s / 30 s = 120 receive cycles, each a FIFO receive and an invocation
    assert hour["assumptions"]["receive_cycles"] == 120
    assert hour["dollars"]["sqs"] == pytest.approx(120 * 0.5 / 1e6)
    assert hour["dollars"]["lambda"] == pytest.approx(120 * 0.2 / 1e6 + 120 * 0.06 * 0.125 * 0.0000166667)
    two = cm.fifo_requeue(PRICES, cm.FifoRequeueAssumptions(hours=2, visibility_timeout_s=30))
    assert two["total"] == pytest.approx(2 * hour["total"])
    assert hour["per_month_if_idle_all_month"] == pytest.approx(hour["total"] * 730)


def test_prices_file_names_a_page_and_a_date_for_every_price() -> None:
    prices = cm.load_prices()
    for service, items in prices.items():
        if service.startswith("_"):
            continue
        for name, entry in items.items():
            if not isinstance(entry, dict):
                continue
            assert entry["price"] > 0, (service, name)
            assert entry["url"].startswith("https://"), (service, name)
            assert entry["checked"], (service, name)
    # the model reads every price it needs from the real file
    assert math.isfinite(sum(cm.dollars(cm.Usage(log_bytes=1), prices).values()))
