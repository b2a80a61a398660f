"""Name pools by nationality, and the spelling variants real returns carry.

Invented combinations of common names; the variants are the transliterations
one person's name is recorded under by different agencies (Mohammed, Muhammad,
Mohamed).  Used only to make synthetic identities.
"""

from __future__ import annotations

#: Nationality (ISO 3166-1 alpha-3) -> share of synthetic victims.  Roughly the
#: mix of NRM referrals in recent years; the rest are spread over the tail.
NATIONALITY_SHARE = {
    "GBR": 0.26, "ALB": 0.20, "VNM": 0.07, "ERI": 0.05, "SDN": 0.05, "ROU": 0.04,
    "IND": 0.03, "NGA": 0.03, "CHN": 0.03, "AFG": 0.04, "IRN": 0.03, "IRQ": 0.03,
    "POL": 0.03, "UKR": 0.02, "EGY": 0.02, "PAK": 0.02, "ETH": 0.02, "GHA": 0.03,
}

_M, _F, _S = "male", "female", "family"

#: Pools per naming tradition: male given names, female given names, family names.
_POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "english": {
        _M: ("James", "Oliver", "Jack", "Harry", "Thomas", "Daniel", "Connor", "Liam",
             "Ryan", "Kyle", "Jordan", "Callum", "Lewis", "Reece", "Aaron", "Jamie"),
        _F: ("Emily", "Sophie", "Chloe", "Jessica", "Lauren", "Amy", "Hannah", "Megan",
             "Charlotte", "Olivia", "Ellie", "Kayleigh", "Shannon", "Leah"),
        _S: ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
             "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
             "Green", "Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Lewis",
             "Harris", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore"),
    },
    "albanian": {
        _M: ("Arben", "Besnik", "Dritan", "Ermal", "Fatjon", "Gentian", "Klodian", "Ledio",
             "Marsel", "Olsi", "Redon", "Sokol", "Erion", "Kristi", "Endrit"),
        _F: ("Anila", "Blerina", "Dorina", "Elona", "Fjona", "Klea", "Mirela", "Rezarta",
             "Sidorela", "Xhesika", "Ermira", "Jonida"),
        _S: ("Hoxha", "Shehu", "Gjoka", "Leka", "Krasniqi", "Berisha", "Dervishi", "Meta",
             "Kola", "Prifti", "Cela", "Basha", "Muca", "Dosti", "Xhafa", "Gashi",
             "Halili", "Lika", "Marku", "Rama", "Hysa", "Kuka"),
    },
    "vietnamese": {
        _M: ("Minh", "Tuan", "Hung", "Duc", "Thanh", "Quang", "Hieu", "Long", "Nam", "Khoa"),
        _F: ("Lan", "Huong", "Thu", "Mai", "Linh", "Ngoc", "Trang", "Hoa", "Phuong"),
        _S: ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do",
             "Ho", "Ngo", "Duong", "Ly"),
    },
    "arabic": {
        _M: ("Mohammed", "Ahmed", "Ali", "Omar", "Yusuf", "Hassan", "Ibrahim", "Khalid",
             "Mustafa", "Abdullah", "Hamid", "Tariq", "Karim", "Osman", "Bilal", "Samir"),
        _F: ("Fatima", "Aisha", "Mariam", "Zainab", "Amina", "Layla", "Huda", "Nadia",
             "Samira", "Rania"),
        _S: ("Abdallah", "Hussein", "Osman", "Mahmoud", "Salih", "Idris", "Adam", "Yahya",
             "Suleiman", "Haroun", "Ismail", "Jaber", "Nour", "Haddad", "Karimi", "Rahimi",
             "Ahmadi", "Hosseini", "Sultani", "Noori", "Rezaei", "Mohammadi"),
    },
    "tigrinya": {
        _M: ("Tesfaye", "Dawit", "Yonas", "Samuel", "Filmon", "Kidane", "Berhane", "Mebrahtu",
             "Habtom", "Yohannes"),
        _F: ("Senait", "Helen", "Selam", "Rahel", "Mehret", "Saba", "Feven", "Luwam"),
        _S: ("Tesfamariam", "Gebremedhin", "Haile", "Tekle", "Berhe", "Ghebreyesus",
             "Woldemariam", "Kahsay", "Abraha", "Tsegay", "Negash", "Mengistu"),
    },
    "romanian": {
        _M: ("Andrei", "Ion", "Mihai", "Alexandru", "Gheorghe", "Florin", "Marius", "Adrian",
             "Piotr", "Tomasz", "Krzysztof", "Oleksandr", "Dmytro", "Serhiy"),
        _F: ("Maria", "Elena", "Ioana", "Andreea", "Anna", "Katarzyna", "Oksana", "Olena",
             "Natalia", "Iryna"),
        _S: ("Popescu", "Ionescu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Nowak",
             "Kowalski", "Wisniewski", "Kowalczyk", "Shevchenko", "Kovalenko", "Bondarenko",
             "Tkachenko", "Kravchenko", "Marin", "Tudor", "Moldovan"),
    },
    "west_african": {
        _M: ("Chinedu", "Emeka", "Oluwaseun", "Kwame", "Kofi", "Ibrahim", "Samuel", "Tunde",
             "Yaw", "Kwabena"),
        _F: ("Blessing", "Chioma", "Ngozi", "Abena", "Ama", "Grace", "Precious", "Efua",
             "Funmilayo", "Joy"),
        _S: ("Okafor", "Adeyemi", "Okonkwo", "Mensah", "Asante", "Boateng", "Owusu",
             "Adebayo", "Eze", "Nwosu", "Osei", "Agyeman", "Bello", "Obi"),
    },
    "south_asian": {
        _M: ("Mohammed", "Imran", "Arjun", "Rahul", "Harpreet", "Sandeep", "Amit", "Bilal",
             "Usman", "Zubair", "Rajesh", "Vikram", "Asif"),
        _F: ("Priya", "Sana", "Ayesha", "Anjali", "Harjit", "Fatima", "Neha", "Sunita",
             "Rukhsana"),
        _S: ("Khan", "Singh", "Patel", "Kumar", "Ahmed", "Hussain", "Sharma", "Begum",
             "Iqbal", "Shah", "Malik", "Chaudhry", "Gill", "Ali"),
    },
    "chinese": {
        _M: ("Wei", "Jun", "Hao", "Lei", "Jian", "Ming", "Tao", "Qiang", "Bo"),
        _F: ("Li", "Xiu", "Mei", "Ying", "Jing", "Hui", "Yan", "Fang"),
        _S: ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
             "Xu", "Sun", "Lin"),
    },
}

#: Naming tradition of each nationality.
TRADITION = {
    "GBR": "english", "ALB": "albanian", "VNM": "vietnamese", "ERI": "tigrinya",
    "ETH": "tigrinya", "SDN": "arabic", "AFG": "arabic", "IRN": "arabic", "IRQ": "arabic",
    "EGY": "arabic", "ROU": "romanian", "POL": "romanian", "UKR": "romanian",
    "IND": "south_asian", "PAK": "south_asian", "NGA": "west_african", "GHA": "west_african",
    "CHN": "chinese",
}

#: Spelling variants under which the same name is recorded (transliteration).
VARIANTS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad", "Muhammed"),
    "Ahmed": ("Ahmad", "Ahmet"),
    "Yusuf": ("Yousef", "Youssef", "Yusef"),
    "Hassan": ("Hasan",),
    "Hussein": ("Husain", "Hussain"),
    "Mustafa": ("Mostafa", "Moustafa"),
    "Abdullah": ("Abdalla", "Abdulla"),
    "Osman": ("Othman", "Usman"),
    "Suleiman": ("Sulaiman", "Suleyman"),
    "Idris": ("Edris",),
    "Haroun": ("Harun", "Haroon"),
    "Fatima": ("Fatma", "Fatimah"),
    "Aisha": ("Ayesha", "Aysha"),
    "Mariam": ("Maryam", "Miriam"),
    "Zainab": ("Zaynab",),
    "Layla": ("Leila", "Laila"),
    "Nguyen": ("Nguyễn", "Nguyin"),
    "Tran": ("Trần",),
    "Pham": ("Phạm",),
    "Hoang": ("Hoàng",),
    "Duong": ("Dương",),
    "Tesfaye": ("Tesfay",),
    "Yohannes": ("Yohanes", "Johannes"),
    "Tesfamariam": ("Tesfamaryam",),
    "Gebremedhin": ("Ghebremedhin", "Gebremedin"),
    "Ghebreyesus": ("Gebreyesus",),
    "Woldemariam": ("Weldemariam", "Woldemaryam"),
    "Oleksandr": ("Olexandr", "Aleksandr", "Alexander"),
    "Serhiy": ("Sergiy", "Sergei"),
    "Dmytro": ("Dmitro", "Dmitry"),
    "Shevchenko": ("Shevtchenko",),
    "Wisniewski": ("Wiśniewski",),
    "Kowalczyk": ("Kowalczik",),
    "Hoxha": ("Hoxhaj", "Hodja"),
    "Xhafa": ("Xhafaj",),
    "Cela": ("Çela",),
    "Muca": ("Muça",),
    "Xhesika": ("Jessica", "Xheshika"),
    "Chaudhry": ("Chaudhary", "Choudhury"),
    "Harpreet": ("Harprit",),
    "Okonkwo": ("Okonkow",),
    "Adeyemi": ("Adeyemmi",),
    "Zhang": ("Chang",),
    "Zhou": ("Chou",),
    "Karimi": ("Kareemi",),
    "Rahimi": ("Raheemi",),
}


def pool(nationality: str, kind: str) -> tuple[str, ...]:
    """Names of ``kind`` (``male``, ``female``, ``family``) for a nationality."""
    return _POOLS[TRADITION.get(nationality, "english")][kind]


def traditions() -> tuple[str, ...]:
    """All naming traditions."""
    return tuple(_POOLS)
