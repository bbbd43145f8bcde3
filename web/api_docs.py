"""The API's interactive documentation (Swagger UI), served from the installed
swagger-ui-bundle package rather than a CDN, with a script file instead of an inline one so
that the page keeps to a Content-Security-Policy of 'self'."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from workflow.core.errors import NotFound

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).parent
# Swagger UI styles some elements inline; scripts stay 'self' only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; form-action 'self'")
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>merzim API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger-init.js"></script>
</body></html>
"""
INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
                               deepLinking: true, presets: [SwaggerUIBundle.presets.apis]});
};
"""
MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")


def _assets_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@router.get("/api/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP,
                                       "Cache-Control": "no-store"})


@router.get("/api/docs/{asset}")
def docs_asset(asset: str):
    if asset == "swagger-init.js":
        return HTMLResponse(INIT, media_type=MEDIA[".js"],
                            headers={"Cache-Control": "public, max-age=3600"})
    if asset not in ASSETS:
        raise NotFound(key="notfound.generic")
    return FileResponse(_assets_dir() / asset, media_type=MEDIA[Path(asset).suffix],
                        headers={"Cache-Control": "public, max-age=86400"})
