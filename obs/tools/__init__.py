"""External tools obs validates with: find them (`find`), know them (`registry`), install them
(`install`, `obs tools install`) into the cache, `cache_dir()` (~/.cache/obs or $OBS_CACHE_DIR)."""
from typing import TYPE_CHECKING

from obs.lazy import exports

if TYPE_CHECKING:
    from obs.tools.env import cache_dir, in_ci
    from obs.tools.find import (
        AMTOOL_MODULE, INSTALL_COMMAND, PROMTOOL3_MODULE, ToolResult, amtool, amtool_path, find_tool, otelcol,
        promtool, promtool3, promtool3_path, run_tool, tool_version, vmalert, vmalert_tool,
    )

__all__ = ["AMTOOL_MODULE", "INSTALL_COMMAND", "PROMTOOL3_MODULE", "ToolResult", "amtool", "amtool_path",
           "cache_dir", "find_tool", "in_ci", "otelcol", "promtool", "promtool3", "promtool3_path", "run_tool",
           "tool_version", "vmalert", "vmalert_tool"]
__getattr__, __dir__ = exports(__name__, {
    "env": ("cache_dir", "in_ci"),
    "find": (
        "AMTOOL_MODULE", "INSTALL_COMMAND", "PROMTOOL3_MODULE", "ToolResult", "amtool", "amtool_path",
        "find_tool", "otelcol", "promtool", "promtool3", "promtool3_path", "run_tool", "tool_version",
        "vmalert", "vmalert_tool",
    ),
})
