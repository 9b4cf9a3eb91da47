"""Synthetic long conversations in the style of LongMemEval, seeded and reproducible.

``conversation(n_messages, seed)`` → ``Conversation``: ``n`` alternating user/assistant messages of
everyday filler (cooking, travel, code, fitness, films, work, weather … with varied details), with
``FACTS_PER_CONVERSATION`` facts about the user planted by the *user* at random depths, and one
question per fact to ask at the end, with the answer a correct reply must contain. Some facts are
said as "remember that …" (``REMEMBER_SHARE``), as a user of the product would for things that
matter; the rest are said in passing — recall and summaries must find those.

Questions paraphrase the fact rather than repeat it (LongMemEval's "single-session-user"
questions): "My sister Clara moved to Lisbon" → "Which city does my sister live in now?". The
filler reuses the facts' topic words in other contexts (distractors), so a keyword match alone is
not enough to rank the fact first.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

FACTS_PER_CONVERSATION = 5
REMEMBER_SHARE = 0.4

# (fact template, question, answer slot); slots are filled from the pools below.
FACTS = [
    ("My sister {name} moved to {city} last spring.", "Which city does my sister live in now?", "city"),
    ("I adopted a {animal} and named it {pet}.", "What is the name of my pet?", "pet"),
    ("My flight to {city} leaves on {day}, gate {number}.", "What gate does my flight leave from?", "number"),
    ("I'm allergic to {food}, so I always check the menu.", "Which food am I allergic to?", "food"),
    ("My manager's name is {name} and she runs the {team} team.", "What is my manager called?", "name"),
    ("The wifi password at my cabin is {code}.", "What's the wifi password at my cabin?", "code"),
    ("I started learning the {instrument} in {month}.", "Which instrument am I learning?", "instrument"),
    ("My car is a {color} {car} I bought used.", "What colour is my car?", "color"),
    ("Our anniversary dinner is booked at {restaurant}.", "Where is our anniversary dinner booked?", "restaurant"),
    ("My daughter {name} plays {sport} every Saturday.", "Which sport does my daughter play?", "sport"),
    ("I keep my spare key under the {spot}.", "Where do I keep the spare key?", "spot"),
    ("My blood type is {blood}.", "What's my blood type?", "blood"),
]
POOLS = {
    "name": ["Clara", "Ingrid", "Marisol", "Priya", "Yuki", "Odette", "Fatima", "Greta", "Lucia", "Noor"],
    "city": ["Lisbon", "Montreal", "Osaka", "Tbilisi", "Valparaiso", "Ljubljana", "Cartagena", "Tromso"],
    "animal": ["greyhound", "tabby cat", "parrot", "beagle", "tortoise", "ferret"],
    "pet": ["Pixel", "Biscuit", "Mango", "Nimbus", "Pickle", "Waffles", "Juniper"],
    "day": ["Monday", "Thursday", "Friday", "Sunday"],
    "number": ["B14", "C7", "A22", "D3", "E19", "F11"],
    "food": ["sesame", "shellfish", "peanuts", "kiwi", "mustard", "celery"],
    "team": ["payments", "search", "logistics", "platform", "mobile"],
    "code": ["moss-kettle-42", "blue-otter-17", "quiet-fjord-88", "amber-lynx-05"],
    "instrument": ["cello", "banjo", "oboe", "harmonica", "ukulele", "accordion"],
    "month": ["January", "March", "June", "September", "November"],
    "color": ["teal", "burgundy", "mustard yellow", "silver", "olive green"],
    "car": ["Volvo estate", "Honda Civic", "Fiat Panda", "Subaru Outback"],
    "restaurant": ["Casa Lupita", "The Copper Pot", "Sakura Tei", "Le Petit Jardin", "Olmo"],
    "sport": ["water polo", "fencing", "lacrosse", "badminton", "rugby"],
    "spot": ["blue flowerpot", "doormat", "garden gnome", "loose brick"],
    "blood": ["O negative", "AB positive", "B negative", "A positive"],
}
TOPICS = {
    "cooking": ["How long should I roast {veg} at 200 degrees?", "Roughly {n} minutes, turning once halfway.",
                "Can I swap butter for olive oil in {dish}?", "Yes, use about three quarters of the amount.",
                "My {dish} came out too salty, any fix?", "Add a splash of acid and a bit more of the base."],
    "travel": ["What should I pack for a week in {place}?", "Layers, a rain jacket and comfortable shoes.",
               "Is it worth renting a car in {place}?", "Only if you plan to leave the city often.",
               "My sister says the trains there are great.", "Regional trains are usually cheap and frequent."],
    "code": ["Why does my {lang} script say index out of range?", "You read past the end of a list; check the loop.",
             "How do I reverse a string in {lang}?", "Slicing or a built-in reverse function both work.",
             "Should I use tabs or spaces?", "Follow your team's style guide; consistency wins."],
    "fitness": ["How many rest days per week do I need?", "Usually one or two, depending on intensity.",
                "Is running {n} km a day too much?", "It depends on your base; build up slowly.",
                "My daughter wants to try a new sport.", "Let her sample a few before committing."],
    "films": ["Can you recommend a film like {film}?", "You might enjoy something slower and atmospheric.",
              "Was {film} based on a book?", "Partly; the screenplay changed the ending.",
              "I watched it with my manager after work.", "Sounds like a fun team outing."],
    "work": ["How do I write a polite follow-up email?", "Keep it short, restate the ask, offer a deadline.",
             "Any tips for a {n}-minute presentation?", "One idea per slide and rehearse the opening.",
             "My car broke down so I was late today.", "That happens; a quick note to your team helps."],
    "people": ["My colleague {pname} recommended a book about {subject}.", "That sounds like a good read.",
               "I ran into {pname} at the {venue} yesterday.", "Small world! Did you have time to catch up?",
               "{pname} from the {team2} team asked about the {project} deadline.", "A short status note helps.",
               "My neighbour {pname} is moving to {place2} next month.", "Moving is a lot of work; good luck to them."],
    "plans": ["{pname} and {pname} want to meet at the {venue} in {place2} on {weekday} around {hour}.",
              "A {weekday} at {hour} works; book early.",
              "Order {trk} with the {item} for {pname} cost {amount} euros.", "Keep the receipt for the warranty.",
              "{pname} said the {project} review with {pname} moved to {weekday}.", "Let the team know in advance.",
              "We might rent a {item} from {pname} when we visit {place2}.", "Check the price before you go."],
    "errands": ["The parcel tracking number is {trk}, it should arrive {weekday}.", "Tracking usually updates daily.",
                "I paid {amount} euros for the {item} repair.", "That seems fair for that kind of repair.",
                "The dentist moved my appointment to {weekday} at {hour}.", "Put a reminder in your calendar.",
                "My cousin {pname} lent me a {item} for the weekend.", "Nice of them; return it in good shape."],
    "home": ["How often should I water a {plant}?", "When the top few centimetres of soil are dry.",
             "The cabin wifi was slow again this weekend.", "Restarting the router often helps.",
             "What's a good way to store {veg}?", "Cool, dark and dry, away from onions."],
}
SLOTS = {
    "veg": ["potatoes", "carrots", "squash", "beetroot", "parsnips"],
    "dish": ["risotto", "banana bread", "curry", "pancakes", "lentil soup"],
    "place": ["Scotland", "Portugal", "Japan", "Chile", "Norway"],
    "lang": ["Python", "JavaScript", "Go", "Rust"],
    "film": ["Arrival", "Paterson", "Amelie", "Stalker"],
    "plant": ["fern", "cactus", "monstera", "basil plant"],
    "n": ["5", "10", "15", "20", "40"],
    "subject": ["volcanoes", "medieval trade", "bees", "jazz history", "typography", "glaciers", "chess openings"],
    "venue": ["farmers market", "library", "climbing gym", "train station", "bakery", "museum"],
    "team2": ["billing", "data", "design", "security", "support", "growth"],
    "project": ["migration", "launch", "audit", "redesign", "onboarding"],
    "place2": ["Ghent", "Porto", "Bergen", "Kyoto", "Hobart", "Tallinn", "Cusco", "Dunedin", "Bologna"],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "amount": ["45", "80", "120", "230", "65"],
    "item": ["bicycle", "laptop", "drill", "tent", "camera", "lawnmower"],
    "hour": ["9:30", "11:00", "14:15", "16:45"],
}
# Generated per use, so the filler carries thousands of distinct rare words (names, codes) as a real
# conversation does: a summary that keeps "rare" sentences cannot tell the planted facts from them.
_SYLLABLES = ["ka", "lo", "mi", "ren", "ta", "vi", "sol", "dan", "el", "mor", "qui", "zar", "bel", "tor", "ny", "an"]
GENERATED = {
    "pname": lambda rng: (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice(["", "a", "o", "e"])).title(),
    "trk": lambda rng: "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)),
}


@dataclass
class Question:
    text: str
    answer: str
    depth: int  # index of the message holding the fact
    remembered: bool  # said as "remember that …"


@dataclass
class Conversation:
    messages: list[tuple[str, str]] = field(default_factory=list)  # (type: human|ai, text)
    questions: list[Question] = field(default_factory=list)


def _fill(template: str, rng: random.Random, pools: dict[str, list[str]], chosen: dict[str, str]) -> str:
    out = template
    for slot, make in GENERATED.items():
        while "{" + slot + "}" in out:
            out = out.replace("{" + slot + "}", make(rng), 1)
    for slot, values in pools.items():
        while "{" + slot + "}" in out:
            value = chosen.setdefault(slot, rng.choice(values))
            out = out.replace("{" + slot + "}", value, 1)
    return out


def conversation(n_messages: int, seed: int) -> Conversation:
    """A conversation of ``n_messages`` (even, ≥ 20) with its questions (see module doc)."""
    rng = random.Random(seed)
    conv = Conversation()
    topics = list(TOPICS)
    for _i in range(0, n_messages, 2):
        lines = TOPICS[rng.choice(topics)]
        j = rng.randrange(0, len(lines), 2)
        conv.messages.append(("human", _fill(lines[j], rng, SLOTS, {})))
        conv.messages.append(("ai", _fill(lines[j + 1], rng, SLOTS, {})))
    # Facts at random depths on user turns, never in the last 10% (they must be beyond the window).
    facts = rng.sample(FACTS, FACTS_PER_CONVERSATION)
    depths = rng.sample(range(0, int(n_messages * 0.9), 2), FACTS_PER_CONVERSATION)
    for (template, question, slot), depth in zip(facts, sorted(depths), strict=True):
        chosen: dict[str, str] = {}
        text = _fill(template, rng, POOLS, chosen)
        remembered = rng.random() < REMEMBER_SHARE
        said = text if text.startswith(("I ", "I'")) else text[0].lower() + text[1:]
        conv.messages[depth] = ("human", f"Please remember that {said}" if remembered else text)
        conv.messages[depth + 1] = ("ai", "Got it, thanks for telling me.")
        conv.questions.append(Question(text=question, answer=chosen[slot], depth=depth, remembered=remembered))
    return conv
