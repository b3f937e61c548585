"""The AsyncAPI 3.0 catalogue of every topic and event type, for downstream subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chengyu_contracts.envelope import CLOUDEVENTS_CONTENT_TYPE, Envelope
from chengyu_contracts.registry import EventSpec, Registry, dead_letter_topic
from chengyu_contracts.schemas import render_json

__all__ = ["ASYNCAPI_FILE", "generate_asyncapi", "write_asyncapi"]

ASYNCAPI_FILE = "asyncapi.json"
_KAFKA_BINDING_VERSION = "0.5.0"
_DEAD_LETTER_MESSAGE = "dead-lettered-record"


def _headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Kafka record headers written with every event.",
        "properties": {
            "content-type": {"type": "string", "const": CLOUDEVENTS_CONTENT_TYPE},
            "traceparent": {
                "type": "string",
                "description": "W3C Trace Context, same value as the traceparent attribute.",
            },
            "tracestate": {
                "type": "string",
                "description": "W3C Trace Context, same value as the tracestate attribute.",
            },
        },
        "required": ["content-type"],
    }


def _envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema()
    schema["description"] = (
        "CloudEvents 1.0 in structured JSON mode, signed by the issuing agency "
        "(chengyukeyid, chengyusig); see contracts/README.md for the signing scheme."
    )
    return schema


def _superseded(spec: EventSpec, latest: EventSpec) -> dict[str, Any]:
    """What an older version's message says: consumers read it as the latest version."""
    if latest is spec:
        return {}
    return {
        "description": (
            f"Superseded by {latest.type}: producers emit that version; records of this one "
            f"stay on the log and decode_event reads them as {latest.type} through the "
            "registered upcasters (the signature covers them as written)."
        ),
        "x-chengyu-read-as": latest.type,
    }


def _message(spec: EventSpec, latest: EventSpec) -> dict[str, Any]:
    return {
        **_superseded(spec, latest),
        "name": spec.type,
        "title": spec.type,
        "summary": spec.model.__doc__.strip().splitlines()[0] if spec.model.__doc__ else spec.type,
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "headers": {"$ref": "#/components/schemas/KafkaHeaders"},
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventsEnvelope"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": spec.type},
                        "dataschema": {"const": spec.dataschema},
                        "data": {"$ref": f"schemas/{spec.type}.json"},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": f"Aggregate id: data.{spec.key_field} = partitionkey = subject.",
                },
                "bindingVersion": _KAFKA_BINDING_VERSION,
            }
        },
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": _DEAD_LETTER_MESSAGE,
        "title": "Dead-lettered record",
        "summary": "A record a consumer rejected, copied unchanged with headers saying why.",
        "payload": {"description": "The original record value, byte for byte."},
    }


def _channel(topic: str, message_ids: list[str], description: str) -> dict[str, Any]:
    return {
        "address": topic,
        "description": description,
        "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in message_ids},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": _KAFKA_BINDING_VERSION}},
    }


def generate_asyncapi(registry: Registry) -> dict[str, Any]:
    """An AsyncAPI 3.0 document: a channel per topic and its ``.dlq``, a message per type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in registry.topics():
        types = [spec.type for spec in registry.specs() if spec.topic == topic]
        dlq = dead_letter_topic(topic)
        channels[topic] = _channel(topic, types, f"Events of {topic}, keyed by aggregate id.")
        channels[dlq] = _channel(
            dlq, [_DEAD_LETTER_MESSAGE], f"Records of {topic} that a consumer rejected."
        )
        operations[f"publish.{topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [{"$ref": f"#/channels/{topic}/messages/{t}"} for t in types],
        }
    messages: dict[str, Any] = {
        spec.type: _message(spec, registry.latest(spec.type)) for spec in registry.specs()
    }
    messages[_DEAD_LETTER_MESSAGE] = _dead_letter_message()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Chengyu domain events",
            "version": "1.0.0",
            "description": (
                "Signed CloudEvents exchanged by the public-service agencies of Chongqing "
                "(cq) and Chengdu (cd) on Apache Kafka."
            ),
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {
                "CloudEventsEnvelope": _envelope_schema(),
                "KafkaHeaders": _headers_schema(),
            },
        },
    }


def write_asyncapi(registry: Registry, directory: Path) -> Path:
    """Write ``asyncapi.json`` into ``directory`` (the contracts folder); return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ASYNCAPI_FILE
    path.write_text(render_json(generate_asyncapi(registry)), encoding="utf-8")
    return path
