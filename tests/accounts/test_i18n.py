from django.urls import reverse

from accounts.services import user_set_language


def test_each_person_sees_their_own_language(cast, login):
    user_set_language(user=cast.officer, language="ko")
    html = login(cast.officer).get(reverse("posts:drafts")).content.decode()
    assert 'lang="ko"' in html
    assert "로그아웃" in html  # "Sign out"
    other_html = login(cast.supervisor).get(reverse("posts:drafts")).content.decode()
    assert 'lang="en"' in other_html and "Sign out" in other_html


def test_language_is_chosen_on_the_settings_page(cast, login):
    client = login(cast.officer)
    response = client.post(reverse("accounts:profile"), {"language": "ko"}, follow=True)
    cast.officer.refresh_from_db()
    assert cast.officer.language == "ko"
    assert "로그아웃" in response.content.decode()
    bad = client.post(reverse("accounts:profile"), {"language": "xx"})
    assert bad.status_code == 200 and 'class="error"' in bad.content.decode()
