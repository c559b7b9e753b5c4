"""ASGI middleware, outermost first: access log, gzip (Starlette's), CORS, rate limit,
body cap."""

from server.middleware.body import AccessLogMiddleware, BodyLimitMiddleware
from server.middleware.cors import CORSMiddleware
from server.middleware.ratelimit import RateLimitMiddleware

__all__ = ["AccessLogMiddleware", "BodyLimitMiddleware", "CORSMiddleware", "RateLimitMiddleware"]
