"""Embedded vocabularies for the synthetic retailer: names, places, brands and the category tree.

Lists are ordered roughly by real-world frequency where that matters (surnames, first names, cities): the
generator turns order into a skewed weight, so common names like Smith and Jones repeat as they do in real data.
Everything is a constant so that the output depends only on the generator's arguments.
"""

from __future__ import annotations

# First names by gender, most common first. A few carry accents (Zoë, Siân) or letters outside latin-1 (Łucja) so
# the CRM's latin-1 transliteration and accent folding are exercised.
FEMALE_NAMES: tuple[str, ...] = tuple(
    """
    Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Isabella Sophie Ivy Freya Harper Willow
    Charlotte Jessica Rosie Daisy Alice Sienna Florence Matilda Phoebe Evelyn Elsie Ruby Scarlett Lucy Holly
    Sarah Emma Hannah Rebecca Laura Amy Rachel Lauren Katie Megan Jennifer Nicola Claire Helen Louise Michelle
    Victoria Natalie Joanne Lisa Kelly Gemma Samantha Stephanie Kirsty Donna Leanne Amanda Deborah Julie
    Karen Susan Margaret Patricia Linda Elizabeth Katherine Catherine Christine Jacqueline Angela Alison Caroline
    Jane Anne Mary Barbara Carol Janet Gillian Pauline Maureen Sandra Tracey Wendy Dawn Joan Dorothy Valerie Sheila
    Brenda Eileen Irene Jean Shirley Joyce Doreen Beryl Hazel Rita Rosemary Judith Frances Heather Fiona Kathleen
    Abigail Natasha Danielle Bethany Jasmine Georgia Eleanor Harriet Imogen Millie Molly Jade Paige Courtney
    Chelsea Shannon Amber Leah Aisha Fatima Priya Anjali Mariam Zainab Aaliyah Noor Niamh Aoife Siobhan Ciara
    Caitlin Eilidh Morag Rhiannon Bronwen Cerys Ffion Catrin Alexandra Gabriella Francesca Natalia Agnieszka
    Magdalena Anna Maria Zoë Chloë Renée Siân Naomi Esther Ruth Miriam Tamsin Imani Ama Chiamaka Ngozi Mei Yan
    Łucja Beatriz Lucía Inês Annabel Penelope Clara Edith Mabel Nancy Hattie Lottie Maisie Tilly Nina Bella
    """.split()
)

MALE_NAMES: tuple[str, ...] = tuple(
    """
    Oliver George Noah Arthur Muhammad Leo Oscar Harry Archie Jack Henry Charlie Freddie Theodore Thomas Finley
    Alfie Theo Jacob William Joshua James Daniel Samuel Benjamin Joseph Edward Alexander Isaac Lucas Max Logan
    David Michael Robert John Richard Paul Mark Andrew Christopher Stephen Peter Ian Anthony Kevin Gary Simon
    Matthew Jonathan Timothy Nicholas Philip Martin Graham Keith Colin Brian Derek Trevor Kenneth Raymond Roger
    Malcolm Stuart Neil Craig Darren Wayne Lee Dean Carl Jason Shaun Ryan Liam Jamie Adam Luke Nathan Ben Sam
    Tom Dan Callum Connor Kieran Aaron Bradley Jordan Tyler Reece Declan Ciaran Patrick Conor Eoin Cormac
    Rhys Dylan Gareth Dafydd Owain Gethin Alistair Angus Hamish Fraser Ewan Ross Mohammed Ahmed Ali Omar Yusuf
    Hassan Imran Arjun Rohan Vikram Sanjay Ravi Amit Rajesh Kwame Kofi Chinedu Emeka Tunde Wei Jun Hiroshi
    Piotr Tomasz Krzysztof Marek Andrei Mihai Stefan Marco Luca Giovanni Pedro Diego Carlos Javier
    Francis Gerald Leonard Stanley Albert Ernest Frederick Harold Walter Norman Dennis Victor Howard Reginald
    Edmund Rupert Hugo Sebastian Felix Jasper Rufus Barnaby Tobias Elliot Louis Reuben Ezra Jude Caleb Elijah
    Zachary Nathaniel Gabriel Dominic Vincent Ronald Douglas Gordon Bernard Clive Nigel Russell Barry Terence
    Seán José François Björn Łukasz
    """.split()
)

# Canonical first name -> nicknames a system may hold instead.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Kate", "Cath"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mick", "Mikey"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris", "Kit"),
    "Christine": ("Chris", "Chrissie"),
    "Alexander": ("Alex", "Sandy", "Xander"),
    "Alexandra": ("Alex", "Lexi", "Sasha"),
    "Jonathan": ("Jon", "Jonny"),
    "Nicholas": ("Nick", "Nicky"),
    "Nicola": ("Nicky", "Nic"),
    "Anthony": ("Tony", "Ant"),
    "Stephen": ("Steve", "Stevie"),
    "Andrew": ("Andy", "Drew"),
    "Matthew": ("Matt", "Matty"),
    "Daniel": ("Dan", "Danny"),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benji"),
    "Joseph": ("Joe", "Joey"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Timothy": ("Tim", "Timmy"),
    "Peter": ("Pete",),
    "Philip": ("Phil", "Pip"),
    "David": ("Dave", "Davy"),
    "Kenneth": ("Ken", "Kenny"),
    "Raymond": ("Ray",),
    "Frederick": ("Fred", "Freddie"),
    "Harold": ("Harry", "Hal"),
    "Albert": ("Bert", "Al"),
    "Leonard": ("Len", "Lenny"),
    "Gerald": ("Gerry",),
    "Ronald": ("Ron", "Ronnie"),
    "Douglas": ("Doug", "Dougie"),
    "Terence": ("Terry",),
    "Reginald": ("Reg", "Reggie"),
    "Zachary": ("Zach", "Zac"),
    "Nathaniel": ("Nate", "Nat"),
    "Sebastian": ("Seb",),
    "Dominic": ("Dom",),
    "Vincent": ("Vince", "Vinny"),
    "Patrick": ("Pat", "Paddy"),
    "Francis": ("Frank", "Frankie"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam", "Sammy"),
    "Stephanie": ("Steph",),
    "Jessica": ("Jess", "Jessie"),
    "Abigail": ("Abby", "Abi"),
    "Deborah": ("Debbie", "Deb"),
    "Susan": ("Sue", "Susie"),
    "Patricia": ("Pat", "Trish", "Patsy"),
    "Jacqueline": ("Jackie", "Jacqui"),
    "Caroline": ("Carrie", "Caro"),
    "Gillian": ("Gill", "Jill"),
    "Dorothy": ("Dot", "Dotty"),
    "Kathleen": ("Kath", "Kathy"),
    "Charlotte": ("Charlie", "Lottie"),
    "Eleanor": ("Ellie", "Nell"),
    "Isabella": ("Bella", "Izzy"),
    "Amanda": ("Mandy",),
    "Frances": ("Fran", "Frankie"),
    "Gabriella": ("Gabby", "Ella"),
    "Francesca": ("Fran", "Frankie"),
    "Natasha": ("Tash", "Tasha"),
    "Danielle": ("Dani",),
    "Harriet": ("Hattie",),
    "Matilda": ("Tilly", "Tilda"),
    "Florence": ("Flo", "Florrie"),
    "Penelope": ("Penny",),
    "Valerie": ("Val",),
    "Judith": ("Judy",),
    "Barbara": ("Barb", "Babs"),
    "Josephine": ("Jo", "Josie"),
    "Joanne": ("Jo",),
    "Alison": ("Ali",),
    "Louise": ("Lou",),
    "Christian": ("Chris",),
    "Malcolm": ("Mal",),
    "Russell": ("Russ",),
    "Gordon": ("Gordy",),
    "Bernard": ("Bernie",),
    "Łukasz": ("Luke",),
    "Mohammed": ("Mo",),
    "Muhammad": ("Mo",),
    "Theodore": ("Theo", "Ted"),
    "Oliver": ("Ollie", "Olly"),
    "Archibald": ("Archie",),
    "Gabriel": ("Gabe",),
}

# Surnames, most common first (England & Wales order, roughly), with some that carry accents or apostrophes.
SURNAMES: tuple[str, ...] = tuple(
    """
    Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker
    White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris
    Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young
    Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan
    Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali
    Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher
    Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart
    Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill
    Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson
    Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland
    Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates
    Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton
    Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss McCarthy
    Chambers O'Neill Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon Doyle Wallace George Jordan
    Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins Read Miles Stevenson Stephenson Hammond Arnold
    Buckley Walters Hewitt Barber Nelson Slater Austin Sullivan Whitehead Mann Frost Lambert Stephens Blake Akhtar
    Lynch Goodwin Barton Woodward Thomson Cunningham Quinn Barnett Baxter Bibi Clayton Nash Greenwood Jennings
    Holt Kemp Poole Gallagher Bond Stokes Tucker Davidson Fowler Heath Norman Middleton Lawson Banks French
    Stanley Jarvis Gibbs Ferguson Hayward Carroll Farrell Nowak Kowalski Wiśniewski Müller Núñez Dvořák
    Fernández García Rossi Nguyen Chen Wang Kim Okafor Adeyemi Mensah Łukaszewicz Doğan Søndergaard Brontë
    """.split()
)

# UK cities: (city, postcode area, number of districts, region, relative population, urban/rural mix 0..1).
CITIES: tuple[tuple[str, str, int, str, int, float], ...] = (
    ("London", "E", 18, "London", 14, 1.0),
    ("London", "N", 22, "London", 12, 1.0),
    ("London", "SE", 28, "London", 14, 1.0),
    ("London", "SW", 20, "London", 12, 1.0),
    ("London", "W", 14, "London", 8, 1.0),
    ("London", "NW", 11, "London", 8, 1.0),
    ("Birmingham", "B", 45, "West Midlands", 18, 0.95),
    ("Manchester", "M", 35, "North West", 16, 0.95),
    ("Leeds", "LS", 29, "Yorkshire and the Humber", 12, 0.9),
    ("Glasgow", "G", 34, "Scotland", 10, 0.95),
    ("Liverpool", "L", 38, "North West", 9, 0.95),
    ("Sheffield", "S", 36, "Yorkshire and the Humber", 9, 0.85),
    ("Bristol", "BS", 41, "South West", 8, 0.9),
    ("Edinburgh", "EH", 55, "Scotland", 8, 0.85),
    ("Cardiff", "CF", 48, "Wales", 6, 0.8),
    ("Leicester", "LE", 19, "East Midlands", 6, 0.8),
    ("Nottingham", "NG", 34, "East Midlands", 6, 0.85),
    ("Newcastle upon Tyne", "NE", 48, "North East", 6, 0.85),
    ("Coventry", "CV", 47, "West Midlands", 5, 0.85),
    ("Bradford", "BD", 24, "Yorkshire and the Humber", 5, 0.85),
    ("Belfast", "BT", 17, "Northern Ireland", 5, 0.85),
    ("Stoke-on-Trent", "ST", 21, "West Midlands", 4, 0.7),
    ("Wolverhampton", "WV", 16, "West Midlands", 4, 0.85),
    ("Plymouth", "PL", 35, "South West", 4, 0.7),
    ("Southampton", "SO", 53, "South East", 4, 0.75),
    ("Reading", "RG", 45, "South East", 4, 0.7),
    ("Derby", "DE", 75, "East Midlands", 4, 0.7),
    ("Brighton", "BN", 45, "South East", 4, 0.8),
    ("Hull", "HU", 20, "Yorkshire and the Humber", 3, 0.85),
    ("Portsmouth", "PO", 41, "South East", 3, 0.8),
    ("Preston", "PR", 26, "North West", 3, 0.6),
    ("Aberdeen", "AB", 56, "Scotland", 3, 0.6),
    ("Norwich", "NR", 35, "East of England", 3, 0.55),
    ("Swansea", "SA", 73, "Wales", 3, 0.5),
    ("Oxford", "OX", 49, "South East", 3, 0.55),
    ("Cambridge", "CB", 25, "East of England", 3, 0.55),
    ("York", "YO", 62, "Yorkshire and the Humber", 3, 0.5),
    ("Exeter", "EX", 39, "South West", 2, 0.4),
    ("Dundee", "DD", 11, "Scotland", 2, 0.7),
    ("Lincoln", "LN", 13, "East Midlands", 2, 0.4),
    ("Carlisle", "CA", 28, "North West", 1, 0.3),
    ("Inverness", "IV", 56, "Scotland", 1, 0.2),
    ("Truro", "TR", 27, "South West", 1, 0.2),
    ("Hereford", "HR", 9, "West Midlands", 1, 0.2),
    ("Shrewsbury", "SY", 25, "West Midlands", 1, 0.25),
)

# Letters that UK postcodes use in the inward code's unit part (no C, I, K, M, O, V).
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

STREET_NAMES: tuple[str, ...] = tuple(
    """
    High Church Station Victoria Park Green Manor Mill School Queens Kings New Grange North South West East
    London Albert Chapel Main Bridge Springfield Windsor Highfield Orchard Elm Oak Ash Beech Willow Cedar Birch
    Maple Holly Hawthorn Chestnut Sycamore Rowan Meadow Brook Hill Valley Field Farm Castle Abbey Priory Market
    Cross York Richmond Cambridge Oxford Stanley Wellington Nelson Trafalgar Waterloo Alexandra Cromwell Derwent
    Kingsway Fairview Woodland Riverside Lakeside Moor Heath Common Cherry Laburnum Lime Poplar Hazel Juniper
    Lavender Primrose Bluebell Thornton Ashford Hampton Clifton Beaumont Stafford Marlborough Devonshire Grosvenor
    """.split()
)

STREET_TYPES: tuple[str, ...] = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Drive",
    "Way",
    "Crescent",
    "Gardens",
    "Place",
    "Court",
    "Terrace",
    "Grove",
    "Walk",
)

# (domain, weight) for personal email addresses.
EMAIL_PROVIDERS: tuple[tuple[str, int], ...] = (
    ("gmail.com", 34),
    ("googlemail.com", 4),
    ("yahoo.co.uk", 10),
    ("hotmail.co.uk", 16),
    ("outlook.com", 12),
    ("icloud.com", 12),
    ("btinternet.com", 8),
)

GMAIL_DOMAINS = ("gmail.com", "googlemail.com")

# Placeholder junk that real systems accumulate in identifying fields.
JUNK_EMAILS: tuple[str, ...] = ("test@test.com", "noemail@noemail.com", "n/a", "unknown", "none@none.com")
JUNK_PHONES: tuple[str, ...] = ("0000000000", "n/a", "unknown", "00000 000000", "07000000000")
JUNK_TEXT: tuple[str, ...] = ("unknown", "n/a", "N/A", "-", "TBC")

TITLES_MALE: tuple[str, ...] = ("Mr",)
TITLES_FEMALE: tuple[str, ...] = ("Mrs", "Ms", "Miss")

# Ten L1 departments -> L2 -> L3 leaves as (label, singular noun used in product names and searches).
CATEGORY_TREE: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "Women": {
        "Dresses": (("Maxi", "Maxi Dress"), ("Midi", "Midi Dress"), ("Mini", "Mini Dress"), ("Shirt", "Shirt Dress")),
        "Tops": (("Blouses", "Blouse"), ("T-Shirts", "T-Shirt"), ("Camisoles", "Cami Top"), ("Tunics", "Tunic")),
        "Knitwear": (("Jumpers", "Jumper"), ("Cardigans", "Cardigan"), ("Roll Necks", "Roll Neck Jumper")),
        "Jeans": (("Skinny", "Skinny Jeans"), ("Straight", "Straight Jeans"), ("Wide Leg", "Wide Leg Jeans")),
        "Coats & Jackets": (("Parkas", "Parka"), ("Blazers", "Blazer"), ("Trench Coats", "Trench Coat")),
        "Nightwear": (("Pyjamas", "Pyjama Set"), ("Dressing Gowns", "Dressing Gown")),
    },
    "Men": {
        "Shirts": (
            ("Polo", "Polo Shirt"),
            ("Oxford", "Oxford Shirt"),
            ("Formal", "Formal Shirt"),
            ("Flannel", "Flannel Shirt"),
        ),
        "T-Shirts": (("Crew Neck", "Crew Neck T-Shirt"), ("V-Neck", "V-Neck T-Shirt"), ("Graphic", "Graphic T-Shirt")),
        "Trousers": (("Chinos", "Chinos"), ("Joggers", "Joggers"), ("Suit Trousers", "Suit Trousers")),
        "Jeans": (("Slim", "Slim Jeans"), ("Regular", "Regular Jeans"), ("Tapered", "Tapered Jeans")),
        "Coats & Jackets": (("Puffer", "Puffer Jacket"), ("Overcoats", "Overcoat"), ("Bomber", "Bomber Jacket")),
    },
    "Kids": {
        "Girls": (("Dresses", "Girls Dress"), ("Leggings", "Girls Leggings"), ("Tops", "Girls Top")),
        "Boys": (("Shorts", "Boys Shorts"), ("Hoodies", "Boys Hoodie"), ("T-Shirts", "Boys T-Shirt")),
        "Baby": (("Bodysuits", "Baby Bodysuit"), ("Sleepsuits", "Baby Sleepsuit")),
        "School Uniform": (("Shirts", "School Shirt"), ("Jumpers", "School Jumper"), ("Trousers", "School Trousers")),
    },
    "Shoes": {
        "Trainers": (
            ("Running", "Running Trainers"),
            ("Fashion", "Fashion Trainers"),
            ("High Tops", "High Top Trainers"),
        ),
        "Boots": (("Chelsea", "Chelsea Boots"), ("Ankle", "Ankle Boots"), ("Walking", "Walking Boots")),
        "Sandals": (("Sliders", "Sliders"), ("Flip Flops", "Flip Flops")),
        "Formal": (("Brogues", "Brogues"), ("Loafers", "Loafers"), ("Heels", "Heels"), ("Flats", "Ballet Flats")),
    },
    "Accessories": {
        "Bags": (("Totes", "Tote Bag"), ("Backpacks", "Backpack"), ("Crossbody", "Crossbody Bag")),
        "Jewellery": (("Necklaces", "Necklace"), ("Earrings", "Earrings"), ("Bracelets", "Bracelet")),
        "Watches": (("Smart", "Smart Watch"), ("Analogue", "Analogue Watch")),
        "Hats & Scarves": (("Beanies", "Beanie"), ("Scarves", "Scarf"), ("Caps", "Cap")),
    },
    "Beauty": {
        "Skincare": (("Moisturisers", "Moisturiser"), ("Serums", "Serum"), ("Cleansers", "Cleanser")),
        "Make-Up": (("Foundation", "Foundation"), ("Lipstick", "Lipstick"), ("Mascara", "Mascara")),
        "Fragrance": (("Women's", "Eau de Parfum"), ("Men's", "Eau de Toilette")),
        "Hair": (("Shampoo", "Shampoo"), ("Conditioner", "Conditioner"), ("Styling", "Hair Styling Cream")),
    },
    "Home": {
        "Bedding": (("Duvet Covers", "Duvet Cover"), ("Pillows", "Pillow"), ("Throws", "Throw")),
        "Furniture": (("Sofas", "Sofa"), ("Tables", "Dining Table"), ("Chairs", "Armchair"), ("Storage", "Bookcase")),
        "Lighting": (("Lamps", "Table Lamp"), ("Ceiling", "Ceiling Light"), ("Fairy Lights", "Fairy Lights")),
        "Decor": (
            ("Cushions", "Cushion"),
            ("Candles", "Scented Candle"),
            ("Mirrors", "Wall Mirror"),
            ("Vases", "Vase"),
        ),
        "Bathroom": (("Towels", "Bath Towel"), ("Bath Mats", "Bath Mat")),
    },
    "Kitchen": {
        "Cookware": (("Pans", "Frying Pan"), ("Saucepans", "Saucepan Set"), ("Casseroles", "Casserole Dish")),
        "Tableware": (("Dinner Sets", "Dinner Set"), ("Mugs", "Mug"), ("Glasses", "Wine Glasses")),
        "Small Appliances": (
            ("Kettles", "Kettle"),
            ("Toasters", "Toaster"),
            ("Coffee Machines", "Coffee Machine"),
            ("Blenders", "Blender"),
        ),
        "Utensils": (("Knives", "Knife Set"), ("Chopping Boards", "Chopping Board")),
    },
    "Electronics": {
        "Audio": (("Headphones", "Headphones"), ("Speakers", "Bluetooth Speaker"), ("Earbuds", "Wireless Earbuds")),
        "TV & Home Cinema": (("TVs", "Smart TV"), ("Soundbars", "Soundbar")),
        "Computing": (("Laptops", "Laptop"), ("Tablets", "Tablet"), ("Monitors", "Monitor"), ("Keyboards", "Keyboard")),
        "Phones": (("Smartphones", "Smartphone"), ("Cases", "Phone Case"), ("Chargers", "Charger")),
        "Smart Home": (("Cameras", "Security Camera"), ("Plugs", "Smart Plug"), ("Thermostats", "Smart Thermostat")),
        "Gaming": (("Consoles", "Games Console"), ("Controllers", "Controller")),
    },
    "Sports & Outdoors": {
        "Activewear": (("Leggings", "Gym Leggings"), ("Sports Bras", "Sports Bra"), ("Shorts", "Running Shorts")),
        "Fitness": (("Yoga", "Yoga Mat"), ("Weights", "Dumbbell Set"), ("Trackers", "Fitness Tracker")),
        "Camping": (("Tents", "Tent"), ("Sleeping Bags", "Sleeping Bag"), ("Stoves", "Camping Stove")),
        "Cycling": (("Helmets", "Cycle Helmet"), ("Lights", "Bike Light Set"), ("Locks", "Bike Lock")),
    },
}

# Relative demand of each L1 department, and price ranges in GBP per price band (low, mid, high).
L1_WEIGHT: dict[str, int] = {
    "Women": 20,
    "Men": 14,
    "Kids": 9,
    "Shoes": 10,
    "Accessories": 8,
    "Beauty": 9,
    "Home": 11,
    "Kitchen": 7,
    "Electronics": 8,
    "Sports & Outdoors": 6,
}
L1_PRICES: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "Women": ((6, 25), (25, 80), (80, 350)),
    "Men": ((6, 25), (25, 80), (80, 400)),
    "Kids": ((3, 12), (12, 35), (35, 90)),
    "Shoes": ((10, 30), (30, 90), (90, 300)),
    "Accessories": ((5, 20), (20, 70), (70, 600)),
    "Beauty": ((3, 12), (12, 40), (40, 180)),
    "Home": ((4, 25), (25, 150), (150, 1500)),
    "Kitchen": ((3, 20), (20, 80), (80, 600)),
    "Electronics": ((8, 40), (40, 300), (300, 2500)),
    "Sports & Outdoors": ((5, 25), (25, 90), (90, 800)),
}
PRICE_BANDS: tuple[str, ...] = ("low", "mid", "high")

# Invented brands: (name, L1 departments it sells in, usual price band index).
BRANDS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Northwind", ("Women", "Men", "Kids"), 1),
    ("Harbour & Co", ("Women", "Men", "Accessories"), 2),
    ("Luma", ("Women", "Beauty"), 1),
    ("Basics Lab", ("Women", "Men", "Kids"), 0),
    ("Everyday Edit", ("Women", "Men", "Home"), 0),
    ("Atelier Rose", ("Women", "Accessories"), 2),
    ("Fenwick Row", ("Men", "Shoes"), 2),
    ("Grey Harbour", ("Men", "Women"), 1),
    ("Kinfolk Kids", ("Kids",), 1),
    ("Little Acorn", ("Kids",), 0),
    ("Tiny Tribe", ("Kids", "Shoes"), 1),
    ("Stride", ("Shoes", "Sports & Outdoors"), 1),
    ("Cobbler's Lane", ("Shoes",), 2),
    ("Pace", ("Shoes", "Sports & Outdoors"), 1),
    ("Soleful", ("Shoes",), 0),
    ("Marlow", ("Accessories", "Women"), 1),
    ("Tempo", ("Accessories", "Electronics"), 1),
    ("Quill & Thread", ("Accessories",), 2),
    ("Glow Theory", ("Beauty",), 1),
    ("Pure Ritual", ("Beauty",), 2),
    ("Dew Drop", ("Beauty",), 0),
    ("Maison Ivy", ("Beauty", "Home"), 2),
    ("Hearth", ("Home", "Kitchen"), 1),
    ("Nook", ("Home",), 0),
    ("Oak & Ember", ("Home",), 2),
    ("Linen Works", ("Home",), 1),
    ("Lumen", ("Home", "Electronics"), 1),
    ("Copper Pot", ("Kitchen",), 1),
    ("Chef's Table", ("Kitchen",), 2),
    ("Kitchen Basics", ("Kitchen", "Home"), 0),
    ("Brewster", ("Kitchen",), 1),
    ("Voltix", ("Electronics",), 1),
    ("Aurora Tech", ("Electronics",), 2),
    ("Bitwise", ("Electronics",), 0),
    ("Sonance", ("Electronics",), 2),
    ("Pixelon", ("Electronics",), 1),
    ("Ridgeback", ("Sports & Outdoors", "Shoes"), 1),
    ("Summit Peak", ("Sports & Outdoors",), 2),
    ("FlexFit", ("Sports & Outdoors", "Women"), 0),
    ("Trailhead", ("Sports & Outdoors",), 1),
    ("Velo", ("Sports & Outdoors",), 2),
    ("Wildbank", ("Men", "Sports & Outdoors"), 1),
)

ADJECTIVES: tuple[str, ...] = tuple(
    """
    Classic Essential Relaxed Slim Oversized Cropped Textured Ribbed Organic Recycled Premium Lightweight Padded
    Quilted Printed Striped Floral Checked Washed Vintage Modern Compact Wireless Smart Deluxe Heritage Everyday
    Luxe Soft Cosy Tailored Stretch Waterproof Insulated Ultra Pro Mini Large Velvet Linen Cotton Wool Leather
    """.split()
)

COLOURS: tuple[str, ...] = tuple(
    """
    black white navy grey charcoal ivory cream beige sand khaki olive sage green teal blue indigo red burgundy
    pink blush coral orange mustard yellow lilac purple brown tan silver gold
    """.split()
)

# Materials each department's descriptions may mention.
L1_MATERIALS: dict[str, tuple[str, ...]] = {
    "Women": ("soft cotton", "stretch denim", "recycled polyester", "merino wool", "linen blend", "viscose crepe"),
    "Men": ("soft cotton", "stretch denim", "merino wool", "brushed fleece", "linen blend", "organic cotton"),
    "Kids": ("soft cotton", "organic cotton", "brushed fleece", "recycled polyester"),
    "Shoes": ("responsibly sourced leather", "vegan leather", "suede", "recycled mesh", "canvas"),
    "Accessories": (
        "responsibly sourced leather",
        "vegan leather",
        "sterling silver",
        "stainless steel",
        "recycled nylon",
    ),
    "Beauty": ("natural extracts", "hyaluronic acid", "vitamin C", "shea butter", "plant-based oils"),
    "Home": ("solid oak", "soft cotton", "linen blend", "tempered glass", "ceramic", "bamboo", "velvet"),
    "Kitchen": ("stainless steel", "ceramic", "tempered glass", "bamboo", "cast iron", "aluminium"),
    "Electronics": ("aluminium", "recycled plastics", "tempered glass", "brushed steel"),
    "Sports & Outdoors": ("recycled polyester", "ripstop nylon", "aluminium", "breathable mesh", "natural rubber"),
}

# Description sentence templates: {adj} {noun} {colour} {material} {brand} {collection}; commas and quotes on purpose.
DESCRIPTION_OPENERS: tuple[str, ...] = (
    "The {adj} {noun} in {colour}, made from {material}.",
    "Our {adj} {noun}, crafted in {material} for everyday use.",
    "This {colour} {noun} is {adj}, durable and easy to care for.",
    "{brand}'s {adj} {noun}, finished in {colour}.",
    "Meet the {noun}: {adj}, practical, and made from {material}.",
)
DESCRIPTION_CLOSERS: tuple[str, ...] = (
    "",
    ' Part of the "{collection}" collection.',
    " Free delivery on orders over £50, returns within 28 days.",
    ' Rated "excellent" by customers, with free returns.',
    " Pairs well with the rest of the {collection} range, sold separately.",
    " Includes a 2-year guarantee.",
)
COLLECTIONS: tuple[str, ...] = (
    "Heritage",
    "Coastal",
    "Urban Edit",
    "Weekend",
    "Studio",
    "Nordic",
    "Autumn Light",
    "Essentials",
    "Signature",
    "Outdoor Living",
)

SUPPORT_SUBJECTS: tuple[str, ...] = (
    "Where is my order?",
    "Refund request",
    "Item arrived damaged",
    "Wrong size delivered",
    "Change delivery address",
    "Missing item from order",
    "Loyalty points not added",
    "Cannot log in to my account",
    "Question about a product",
    "Return label not received",
    "Faulty item, please advise",
    "Cancel my order",
    "Price match request",
    "Unsubscribe from emails",
)
SUPPORT_CHANNELS: tuple[str, ...] = ("email", "phone", "chat", "web_form")

INCOME_BANDS: tuple[str, ...] = ("A", "B", "C", "D", "E")
URBAN_RURAL: tuple[str, ...] = ("urban", "suburban", "rural")
