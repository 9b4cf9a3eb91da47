"""Browser UI URLs: accounts (log in, log out by POST, sign up) and the conversation pages."""
from django.contrib.auth import views as auth_views
from django.urls import path

from .web import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("", views.chat_home, name="chat_home"),
    path("conversations/", views.conversation_list, name="conversation_list"),
    path("c/new/messages/", views.conversation_start, name="conversation_start"),
    path("c/<uuid:session_id>/", views.conversation_detail, name="conversation_detail"),
    path("c/<uuid:session_id>/updates/", views.conversation_updates, name="conversation_updates"),
    path("c/<uuid:session_id>/stop/", views.conversation_stop, name="conversation_stop"),
    path("c/<uuid:session_id>/branch/", views.conversation_branch, name="conversation_branch"),
    path("c/<uuid:session_id>/rename/", views.conversation_rename, name="conversation_rename"),
    path("c/<uuid:session_id>/delete/", views.conversation_delete, name="conversation_delete"),
    path("c/<uuid:session_id>/messages/", views.conversation_stream, name="conversation_stream"),
    path("settings/memory/", views.memory_list, name="memory_list"),
    path("settings/memory/<str:key>/", views.memory_edit, name="memory_edit"),
    path("settings/memory/<str:key>/delete/", views.memory_delete, name="memory_delete"),
    path("s/<str:token>/", views.shared_conversation, name="shared_conversation"),
    path("settings/tokens/", views.api_token_list, name="api_token_list"),
    path("settings/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

# Find, organize, share, your data (issue 13).
urlpatterns += [
    path("search/", views.search_page, name="search"),
    path("c/<uuid:session_id>/archive/", views.conversation_archive, name="conversation_archive"),
    path("c/<uuid:session_id>/unarchive/", views.conversation_unarchive, name="conversation_unarchive"),
    path("c/<uuid:session_id>/pin/", views.conversation_pin, name="conversation_pin"),
    path("c/<uuid:session_id>/move/", views.conversation_move, name="conversation_move"),
    path("c/<uuid:session_id>/export/", views.conversation_export, name="conversation_export"),
    path("c/<uuid:session_id>/share/", views.conversation_share, name="conversation_share"),
    path("c/<uuid:session_id>/share/stop/", views.conversation_unshare, name="conversation_unshare"),
    path("folders/", views.folder_list, name="folder_list"),
    path("settings/shares/", views.share_list, name="share_list"),
    path("settings/shares/<int:link_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("settings/data/", views.data_settings, name="data_settings"),
    path("settings/data/export/", views.data_export, name="data_export"),
    path("settings/data/import/", views.data_import, name="data_import"),
    path("settings/data/delete-conversations/", views.data_delete_conversations, name="data_delete_conversations"),
    path("settings/data/delete-account/", views.data_delete_account, name="data_delete_account"),
]
