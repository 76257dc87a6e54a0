"""A Flask app in the application-factory style, for the tests."""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from betterauth_jwt import Verifier
from betterauth_jwt.flask import BetterAuth, current_identity

NOTES = {"user_1": ["buy milk"], "user_2": ["call Ada"]}


def create_app(verifier: Verifier | None = None, **config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    auth = BetterAuth(verifier=verifier)
    auth.init_app(app)

    @app.get("/me")
    @auth.required
    def me() -> ResponseReturnValue:
        return jsonify(user_id=current_identity.user_id, notes=NOTES.get(current_identity.user_id, []))

    @app.get("/ame")
    @auth.required
    async def ame() -> ResponseReturnValue:
        return jsonify(user_id=current_identity.user_id)

    @app.get("/maybe")
    @auth.optional
    def maybe() -> ResponseReturnValue:
        return jsonify(user_id=current_identity.user_id if current_identity else None)

    @app.get("/admin")
    @auth.require(role="admin")
    def admin() -> ResponseReturnValue:
        return jsonify(admin=current_identity.user_id)

    @app.get("/plain")
    def plain() -> ResponseReturnValue:
        return jsonify(ok=True)

    return app
