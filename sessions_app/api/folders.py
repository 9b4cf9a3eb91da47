"""``/api/folders``: the caller's folders (create, list, rename, delete). Filing a conversation in one
is ``PATCH /api/sessions/{id}`` with ``folder_id``."""
from __future__ import annotations

from django.db.models import Count
from ninja import Router, Schema
from pydantic import Field

from ..conversations.folders import folder_create, folder_delete, folder_get_for_user, folder_rename, folders_for_user
from ..models import FOLDER_NAME_MAX_LENGTH, Folder
from .auth import ApiRequest
from .schemas.common import ErrorOut, InputSchema, Text

router = Router(tags=["folders"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class FolderIn(InputSchema):
    """A folder's name (unique per user, ignoring case; spaces collapsed)."""

    name: Text = Field(..., min_length=1, max_length=FOLDER_NAME_MAX_LENGTH, examples=["Work"])

    model_config = InputSchema.model_config | {"json_schema_extra": {"examples": [{"name": "Work"}]}}


class FolderOut(Schema):
    id: int
    name: str
    conversations: int = Field(..., ge=0, description="Conversations in it.")

    model_config = {"json_schema_extra": {"examples": [{"id": 3, "name": "Work", "conversations": 12}]}}


class FolderListOut(Schema):
    items: list[FolderOut]

    model_config = {"json_schema_extra": {"examples": [{"items": [{"id": 3, "name": "Work", "conversations": 12}]}]}}


class FolderDeletedOut(Schema):
    moved_out: int = Field(..., ge=0, description="Conversations that were in it (they are kept).")

    model_config = {"json_schema_extra": {"examples": [{"moved_out": 12}]}}


def _out(folder: Folder) -> dict[str, object]:
    count = getattr(folder, "conversations", None)
    if count is None:
        count = folder.sessions.count()
    return {"id": folder.pk, "name": folder.name, "conversations": count}


@router.get("", response={200: FolderListOut, **ERRORS}, operation_id="folder_list", summary="List your folders")
def list_folders(request: ApiRequest) -> dict[str, object]:
    """Every folder of the caller, by name, with its number of conversations (at most 200 folders)."""
    folders = folders_for_user(user=request.auth).annotate(conversations=Count("sessions"))
    return {"items": [_out(f) for f in folders]}


@router.post("", response={201: FolderOut, 409: ErrorOut, **ERRORS}, operation_id="folder_create",
             summary="Create a folder")
def create_folder(request: ApiRequest, payload: FolderIn) -> tuple[int, dict[str, object]]:
    """409 if a folder of that name exists (ignoring case)."""
    return 201, _out(folder_create(owner=request.auth, name=payload.name))


@router.patch("/{folder_id}", response={200: FolderOut, 409: ErrorOut, **ERRORS}, operation_id="folder_rename",
              summary="Rename a folder")
def rename_folder(request: ApiRequest, folder_id: int, payload: FolderIn) -> dict[str, object]:
    return _out(folder_rename(folder=folder_get_for_user(folder_id=folder_id, user=request.auth), name=payload.name))


@router.delete("/{folder_id}", response={200: FolderDeletedOut, **ERRORS}, operation_id="folder_delete",
               summary="Delete a folder (its conversations stay)")
def delete_folder(request: ApiRequest, folder_id: int) -> dict[str, int]:
    return {"moved_out": folder_delete(folder=folder_get_for_user(folder_id=folder_id, user=request.auth))}
