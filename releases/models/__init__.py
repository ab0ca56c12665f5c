from .pipeline import Build, Deployment, DeploymentIncident, Environment, PipelineReport, TestRun
from .policy import CHANGE_CLASSES, Cadence, Kind, ReleaseKindPolicy
from .release import (
    FINISHED,
    IN_FLIGHT,
    PIPELINE,
    Release,
    ReleaseItem,
    Stage,
    Strategy,
)

__all__ = [
    "CHANGE_CLASSES",
    "FINISHED",
    "IN_FLIGHT",
    "PIPELINE",
    "Build",
    "Cadence",
    "Deployment",
    "DeploymentIncident",
    "Environment",
    "Kind",
    "PipelineReport",
    "Release",
    "ReleaseItem",
    "ReleaseKindPolicy",
    "Stage",
    "Strategy",
    "TestRun",
]
