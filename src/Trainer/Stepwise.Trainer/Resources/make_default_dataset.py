#!/usr/bin/env python3
"""Writes default-dataset.jsonl: the small instruction set `./stepwise train` uses when a config names no
dataset. Alpaca records (instruction, input, output). Answers are computed (arithmetic, conversions, word
tasks) or written by hand (definitions, antonyms); the seed fixes the order and the numbers.
Run: /usr/bin/python3 make_default_dataset.py > default-dataset.jsonl"""
import json, random, sys

rng = random.Random(20261128)
records = []

def add(instruction, output, inp=""):
    records.append({"instruction": instruction, "input": inp, "output": output})

# Arithmetic: 120 records.
for _ in range(40):
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    add("Add the two numbers.", str(a + b), f"{a} + {b}")
for _ in range(30):
    a, b = rng.randint(10, 99), rng.randint(1, 60)
    add("What is the difference?", str(a - b), f"{a} - {b}")
for _ in range(30):
    a, b = rng.randint(2, 12), rng.randint(2, 12)
    add(f"Multiply {a} by {b}.", str(a * b))
for _ in range(20):
    b, q = rng.randint(2, 9), rng.randint(2, 12)
    add(f"Divide {b * q} by {b}.", str(q))

# Unit conversions: 60 records.
def fmt(x):
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}".rstrip("0").rstrip(".")
for _ in range(12):
    km = rng.randint(1, 40)
    add(f"Convert {km} kilometres to metres.", f"{km * 1000} metres")
for _ in range(12):
    kg = rng.randint(1, 25)
    add(f"How many grams are in {kg} kilograms?", f"{kg * 1000} grams")
for _ in range(12):
    h = rng.randint(1, 12)
    add(f"How many minutes are in {h} hours?", f"{h * 60} minutes")
for _ in range(12):
    c = rng.choice(range(-20, 105, 5))
    add(f"Convert {c} degrees Celsius to Fahrenheit.", f"{fmt(c * 9 / 5 + 32)} degrees Fahrenheit")
for _ in range(12):
    inch = rng.randint(1, 30)
    add(f"How many centimetres are {inch} inches?", f"{fmt(inch * 2.54)} centimetres")

# Word tasks: 70 records.
words = ["river", "planet", "garden", "window", "silver", "orange", "pencil", "rocket", "candle", "forest",
         "bridge", "tomato", "castle", "butter", "dragon", "jacket", "marble", "summer", "winter", "violin",
         "ladder", "pepper", "basket", "mirror", "tunnel", "falcon", "harbor", "lemon", "cloud", "stone",
         "apple", "table", "music", "water", "light"]
for w in rng.sample(words, 20):
    add("Reverse the word.", w[::-1], w)
for w in rng.sample(words, 15):
    add("Write the word in capital letters.", w.upper(), w)
for w in rng.sample(words, 15):
    add(f"How many letters are in the word \"{w}\"?", str(len(w)))
for w in rng.sample(words, 10):
    add("What is the first letter of the word?", w[0], w)
for w in rng.sample(words, 10):
    add("Spell the word with hyphens between the letters.", "-".join(w), w)

# Antonyms (hand-written): 25 records.
antonyms = [("hot", "cold"), ("up", "down"), ("early", "late"), ("full", "empty"), ("open", "closed"),
            ("light", "dark"), ("fast", "slow"), ("happy", "sad"), ("strong", "weak"), ("rich", "poor"),
            ("wet", "dry"), ("loud", "quiet"), ("old", "young"), ("hard", "soft"), ("high", "low"),
            ("inside", "outside"), ("begin", "end"), ("win", "lose"), ("push", "pull"), ("buy", "sell"),
            ("arrive", "leave"), ("thick", "thin"), ("wide", "narrow"), ("near", "far"), ("true", "false")]
for a, b in antonyms:
    add("Give the opposite of the word.", b, a)

# Short definitions (hand-written): 45 records.
definitions = {
    "photosynthesis": "The process by which plants use light, water and carbon dioxide to make sugar and oxygen.",
    "gravity": "The force that pulls objects with mass toward each other.",
    "evaporation": "The change of a liquid into a gas at its surface.",
    "a prime number": "A whole number greater than 1 whose only divisors are 1 and itself.",
    "an atom": "The smallest unit of a chemical element.",
    "a noun": "A word that names a person, place, thing or idea.",
    "a verb": "A word that describes an action or a state.",
    "an adjective": "A word that describes a noun.",
    "a triangle": "A flat shape with three straight sides.",
    "a circle": "A round flat shape whose points are all the same distance from the centre.",
    "an island": "A piece of land surrounded by water.",
    "a glacier": "A large, slow-moving mass of ice on land.",
    "a volcano": "An opening in the earth's crust through which molten rock escapes.",
    "a mammal": "A warm-blooded animal that has hair and feeds its young with milk.",
    "an insect": "A small animal with six legs and a body in three parts.",
    "a planet": "A large body that orbits a star and has cleared its path of other objects.",
    "a comet": "A ball of ice and dust that grows a tail when it passes near the sun.",
    "an eclipse": "The blocking of light from one body in space by another.",
    "friction": "The force that resists two surfaces sliding against each other.",
    "a fraction": "A number that names a part of a whole, such as one half.",
    "an average": "The sum of a list of numbers divided by how many numbers there are.",
    "a percentage": "A number expressed as a part of one hundred.",
    "a thermometer": "An instrument that measures temperature.",
    "a compass": "An instrument whose needle points to magnetic north.",
    "a dictionary": "A book that lists words with their meanings.",
    "a democracy": "A system of government in which citizens choose their leaders by voting.",
    "an ecosystem": "A community of living things together with their environment.",
    "erosion": "The wearing away of land by water, wind or ice.",
    "a battery": "A device that stores chemical energy and releases it as electricity.",
    "a magnet": "An object that attracts iron.",
    "a synonym": "A word that means the same as another word.",
    "an antonym": "A word that means the opposite of another word.",
    "a recipe": "A set of instructions for preparing a dish.",
    "a habitat": "The natural home of an animal or plant.",
    "a continent": "One of the seven large land masses of the earth.",
    "an algorithm": "A finite list of steps that solves a problem.",
    "a variable": "A named value that can change.",
    "a loop": "A part of a program that repeats.",
    "a file": "A named collection of data stored on a computer.",
    "a password": "A secret word used to prove who you are.",
    "a vaccine": "A substance that trains the immune system to fight a disease.",
    "a calendar": "A chart of the days, weeks and months of a year.",
    "a century": "A period of one hundred years.",
    "a decade": "A period of ten years.",
    "a kilometre": "A length of one thousand metres.",
}
for term, meaning in definitions.items():
    add(f"Define {term} in one sentence.", meaning)

# Facts about numbers: 30 records.
for n in rng.sample(range(2, 100), 15):
    add("Is the number even or odd?", "even" if n % 2 == 0 else "odd", str(n))
for _ in range(15):
    xs = sorted(rng.sample(range(1, 50), 4))
    rng.shuffle(xs)
    add("Which number is the largest?", str(max(xs)), ", ".join(map(str, xs)))

rng.shuffle(records)
for r in records:
    sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
