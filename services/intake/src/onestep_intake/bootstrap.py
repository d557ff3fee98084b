"""The one place that wires intake's settings, adapters and service together."""

from __future__ import annotations

from dataclasses import dataclass

from onestep_contracts.calendar import WorkingCalendar
from onestep_contracts.catalogue import load_catalogue
from onestep_runtime.kafka import RenewingProducer, make_producer

from .adapters.blob_store import LocalBlobStore
from .adapters.kafka_publisher import ApplicationPublisher
from .application import IntakeService
from .settings import IntakeSettings


@dataclass
class Intake:
    settings: IntakeSettings
    service: IntakeService
    producer: RenewingProducer
    publisher: ApplicationPublisher
    blobs: LocalBlobStore


def bootstrap(settings: IntakeSettings, *, producer: RenewingProducer | None = None) -> Intake:
    catalogue = load_catalogue(settings.catalogue_dir)
    producer = producer or make_producer(settings.kafka_bootstrap_servers, client_id="intake")
    publisher = ApplicationPublisher(producer, timeout_s=settings.publish_timeout_s)
    blobs = LocalBlobStore(settings.materials_dir)
    calendar = WorkingCalendar.from_file(settings.catalogue_dir / "calendar.yaml")
    return Intake(settings, IntakeService(catalogue, blobs, publisher, calendar), producer, publisher, blobs)
