from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Fact(BaseModel):
    """Base of every fact family. `name` is the stable id used in bundles and plans."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    # Keys of the commands whose output this fact was parsed from (for evidence).
    sources: tuple[str, ...] = ()
