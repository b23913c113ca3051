import time

import jwt

from bot.channels.common import build_metadata
from core import auth


def test_valid_token(jwt_secret):
    identity = auth.verify(auth.mint("C1001"))
    assert identity.valid and identity.client_id == "C1001"


def test_missing_forged_expired_and_malformed(jwt_secret):
    assert auth.verify(None).status == "missing"
    assert auth.verify("").status == "missing"
    forged = jwt.encode({"sub": "C1001", "exp": int(time.time()) + 60}, "not-the-secret", algorithm="HS256")
    assert auth.verify(forged).status == "invalid"
    expired = auth.mint("C1001", ttl_s=-10)
    assert auth.verify(expired).status == "expired"
    assert auth.verify("not.a.jwt").status == "invalid"
    assert auth.verify({"sub": "C1001"}).status == "invalid"
    none_alg = jwt.encode({"sub": "C1001", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert auth.verify(none_alg).status == "invalid"
    no_exp = jwt.encode({"sub": "C1001"}, jwt_secret, algorithm="HS256")
    assert auth.verify(no_exp).status == "invalid"
    weird_sub = jwt.encode({"sub": "C1001' OR '1'='1", "exp": int(time.time()) + 60}, jwt_secret, algorithm="HS256")
    assert auth.verify(weird_sub).status == "invalid"


def test_metadata_carries_only_the_verified_identity(jwt_secret):
    token = auth.mint("C1003")
    meta = build_metadata({"token": token, "client_id": "C1004", "auth_status": "valid", "client": "web"})
    assert meta == {"auth_status": "valid", "client_id": "C1003", "client": "web"}
    forged = build_metadata({"client_id": "C1004", "auth_status": "valid"})
    assert forged == {"auth_status": "missing"}
    assert build_metadata("garbage") == {"auth_status": "missing"}
