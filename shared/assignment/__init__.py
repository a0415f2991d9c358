"""The assignment domain: emails wait in line, agents on a WebSocket take them oldest first.

- `repository`: the users and emails tables; every state change is one conditional write or one
  transaction, so concurrent runs can never double-assign.
- `engine`: picks, commits, pushes; runs on events (an email becomes Pending, an agent turns online
  or free, an assignment expires), never in a loop that polls or re-queues.
- `intake`: leads whose rows carry a message become Pending emails.
- `push` and `timers`: the WebSocket management API and the delayed SQS messages behind them.
- `presence`: an agent's connections, and the grace before one without any is offline.
- `settings`: the functions' environment alone; `build` makes the engine from it, so a function that
  only reads the tables (GET /emails, GET /agents) builds no engine.
- `websocket`: who is calling, read from a WebSocket event.
"""
