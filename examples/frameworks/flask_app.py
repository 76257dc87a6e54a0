"""Flask: a protected /me and per-user notes. Run: BETTER_AUTH_URL=http://localhost:3000 waitress-serve flask_app:app"""

from __future__ import annotations

import os
from collections import defaultdict

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from betterauth_jwt.flask import BetterAuth, current_identity

auth = BetterAuth()
NOTES: defaultdict[str, list[str]] = defaultdict(list)  # user id -> notes; a database in a real app


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["BETTERAUTH_JWT_BASE_URL"] = os.environ.get("BETTER_AUTH_URL", "http://localhost:3000")
    app.config["BETTERAUTH_JWT_SECRET"] = os.environ.get("BETTER_AUTH_SECRET") or None  # set only for HS256 tokens
    auth.init_app(app)

    @app.get("/me")
    @auth.required
    def me() -> ResponseReturnValue:
        return jsonify(id=current_identity.user_id, email=current_identity.email, name=current_identity.name)

    @app.get("/notes")
    @auth.required
    def list_notes() -> ResponseReturnValue:
        return jsonify(NOTES[current_identity.user_id])

    @app.post("/notes")
    @auth.required
    def add_note() -> ResponseReturnValue:
        NOTES[current_identity.user_id].append(str((request.get_json(silent=True) or {}).get("text", "")))
        return jsonify(NOTES[current_identity.user_id]), 201

    @app.get("/admin/users")
    @auth.require(role="admin")
    def users() -> ResponseReturnValue:
        return jsonify(sorted(NOTES))

    return app


app = create_app()

if __name__ == "__main__":
    app.run(port=8000)
