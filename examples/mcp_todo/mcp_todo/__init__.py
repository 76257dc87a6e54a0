"""An MCP server over the todo example's data: each Better Auth user sees and changes only their own todos."""
