"""Inbox reads: scoped to one agency, and cheap for the list."""

from __future__ import annotations

import pytest
from django.http import Http404

from engagement import selectors
from engagement.models import Conversation
from tests.engagement.conftest import publish, pull


@pytest.fixture
def both_pulled(cast, other, accounts, bravo_x, sandbox):
    publish(cast, accounts.x, accounts.fb)
    publish(other, bravo_x, body="Bravo appeal for witnesses.")
    sandbox.advance(3600)
    for account in (accounts.x, accounts.fb, bravo_x):
        assert pull(account).added
    return cast, other


def test_conversations_of_one_agency_are_invisible_to_another(both_pulled):
    cast, other = both_pulled
    alpha = list(selectors.conversations_for_agency(agency=cast.agency))
    bravo = list(selectors.conversations_for_agency(agency=other.agency))
    assert alpha and bravo
    assert {c.agency_id for c in alpha} == {cast.agency.pk}
    assert {c.agency_id for c in bravo} == {other.agency.pk}
    for conversation in alpha:
        with pytest.raises(Http404):
            selectors.conversation_get(agency=other.agency, conversation_id=conversation.pk)
        assert (
            selectors.conversation_get(agency=cast.agency, conversation_id=conversation.pk)
            == conversation
        )
    assert (
        not selectors.pull_cursors_for_agency(agency=other.agency)
        .filter(agency=cast.agency)
        .exists()
    )


def test_the_inbox_list_is_one_query_most_pressing_first_when_asked(
    both_pulled, django_assert_num_queries
):
    cast, _other = both_pulled
    with django_assert_num_queries(1):
        rows = list(selectors.conversations_for_agency(agency=cast.agency, order="priority"))
        _ = [(c.account.handle, c.assignee, c.snippet, c.message_count) for c in rows]
    ranks = [(c.priority, c.last_activity_at) for c in rows]
    assert ranks == sorted(ranks, reverse=True)
    assert rows[0].urgent


def test_filters_narrow_the_list(both_pulled):
    cast, _other = both_pulled
    everything = selectors.conversations_for_agency(agency=cast.agency)
    urgent = selectors.conversations_for_agency(agency=cast.agency, urgent=True)
    questions = selectors.conversations_for_agency(agency=cast.agency, category="question")
    assert 0 < urgent.count() < everything.count()
    assert {c.category for c in questions} == {"question"}
    x_account = everything.filter(platform="x").first().account
    by_account = selectors.conversations_for_agency(agency=cast.agency, account_id=x_account.pk)
    assert {c.account_id for c in by_account} == {x_account.pk}
    recent = list(selectors.conversations_for_agency(agency=cast.agency))  # newest activity first
    assert [c.last_activity_at for c in recent] == sorted(
        (c.last_activity_at for c in recent), reverse=True
    )


def test_an_urgent_conversation_offers_the_emergency_guidance(both_pulled):
    cast, _other = both_pulled
    conversation = Conversation.objects.filter(agency=cast.agency, urgent=True).first()
    prompt = selectors.reply_prompt_for(conversation=conversation)
    assert "not monitored 24/7" in prompt
    calm = Conversation.objects.filter(agency=cast.agency, urgent=False).first()
    assert selectors.reply_prompt_for(conversation=calm) == ""


def test_messages_of_a_conversation_come_in_order(both_pulled):
    cast, _other = both_pulled
    conversation = Conversation.objects.filter(agency=cast.agency).order_by("-message_count")[0]
    messages = list(selectors.messages_for_conversation(conversation=conversation))
    assert len(messages) == conversation.message_count
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)
