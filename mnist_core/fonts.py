"""Digits in handwriting fonts: other people's handwriting, beyond the few hundred writers of MNIST.

MNIST was written by American census staff and students; people drawing in a browser write a 1
with a flag, a 7 with a bar, a 4 open at the top, in styles MNIST barely holds. Handwriting fonts
are such writers' hands, digitised. Each is fetched from the npm registry (fontsource packages,
pinned with their integrity) by scripts/fetch_fonts.py, never at run time. Fonts are split by
family (a family's fonts share one designer's hand): the held-out half only ever judges, the
other half may train.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mnist_core.config import FONTS_DIR, FONTS_DIR_ENV, NUM_CLASSES
from mnist_core.normalize import normalize_digit

GLYPH_SIZE = 96  # a glyph is stored in a square this many pixels wide, its longer side filling 80% of it
RENDER_SIZE = 192  # font size glyphs are rendered at before being scaled into GLYPH_SIZE
FAMILY_PREFIXES = ("playwrite", "edu-", "shadows-into-light", "caveat", "sedgwick-ave", "patrick-hand", "delius", "nanum-")


@dataclass(frozen=True)
class FontPackage:
    """One fontsource package on the npm registry and the file of it that is used."""

    name: str
    version: str
    file: str  # the latin, regular-weight woff2 inside the package's files/ folder
    integrity: str  # the registry's sha512 of the package tarball

    @property
    def tarball_url(self) -> str:
        return f"https://registry.npmjs.org/@fontsource/{self.name}/-/{self.name}-{self.version}.tgz"


# Handwriting fonts whose digits look like what people write with a pen or a finger; calligraphy,
# decorated display faces and printed serif or sans faces were left out by eye before any was scored.
FONT_PACKAGES = (
    FontPackage("amatic-sc", "5.3.0", "amatic-sc-latin-400-normal.woff2", "sha512-qGAftmq7o21ViixCApztfLOe6TP0VFp3x9ac5KVTwBqW6SU8YJeGWgcLHOfBkooAI+/411R/flMqXos8GseNkA=="),
    FontPackage("annie-use-your-telescope", "5.3.0", "annie-use-your-telescope-latin-400-normal.woff2", "sha512-FKBTv9j8AMRlHGRtTTSF3NYWs/0MVfOZzpvgp5phBVW+zAzh1iC+uglKiPYCYNy0T+Cr4wyREqVezYpHxQuskw=="),
    FontPackage("architects-daughter", "5.3.0", "architects-daughter-latin-400-normal.woff2", "sha512-uezOgAlbhmf9nDW69VYq31lXNA+0uRFWXBGCSFWLXVcrNESFHpNjvu11kJss1PMsfH/YKz1hnnYB+JSNI/t+ew=="),
    FontPackage("bad-script", "5.3.0", "bad-script-latin-400-normal.woff2", "sha512-7MElotXA5LHyvyElVXnwPpT71wYSKLmpvm7TV0e4ahaRP6D1vXocyfHOgENi9MHgRmGxhmz7Gr1fDuji0MNvkQ=="),
    FontPackage("borel", "5.3.0", "borel-latin-400-normal.woff2", "sha512-XYt/ZcbObYv+CT+861JBfpXgGiP0JCiFWnBw3v32Ei9OcBwOWC39vTi9XY781LltDfhvbudd+iusr3hOckmQWw=="),
    FontPackage("calligraffitti", "5.3.0", "calligraffitti-latin-400-normal.woff2", "sha512-mNxK51nBKzpIvpDeOeEgByf6RMUfYVODOuZ5CWe0LGEnJAZeB614tiSjjkbxYe9UGOLAar002ooU4ufGIZXKdA=="),
    FontPackage("caveat", "5.3.0", "caveat-latin-400-normal.woff2", "sha512-eHTfzQxFSW9ABERRLNruHoNJmKed2J7pqTUc5lp4a4POMgXGKpxmWj3d9Hz10kmAg6iuTTLe6UagbA4bnsmfQw=="),
    FontPackage("caveat-brush", "5.3.0", "caveat-brush-latin-400-normal.woff2", "sha512-BHSP/9EKNUtnSj7h4TXuYKOrQWgnkCGm7QMHYiie0xSxtlWKbND6wLkhAgwUtUpbz5k8XL8CWPRrL6tDV+JC8w=="),
    FontPackage("cedarville-cursive", "5.3.0", "cedarville-cursive-latin-400-normal.woff2", "sha512-wHP/LV0JvHoZRpfNAnDa9p9dAjIqB0gaG44MLs4+MsuQhL3i6+zGDTmxvxMx4bRe6r/HkChxIaMxjWOfjfSdGg=="),
    FontPackage("chilanka", "5.3.0", "chilanka-latin-400-normal.woff2", "sha512-xn3vzDjjiW2U9ADLgKZjN3whzG0UI018/9y9LuaJtbFylgC+1KARXLsNc4LeQfoukA6LtSLScya7DsnLgBNldA=="),
    FontPackage("comforter-brush", "5.3.0", "comforter-brush-latin-400-normal.woff2", "sha512-IbZzcqcRs/o+JRINszM/I/ObP+s7WYhVigLxbBabZqloLn/N4vP3ouv6RvMDsywm4YqcRzOZ/+gEVci85VLKyQ=="),
    FontPackage("comic-neue", "5.3.0", "comic-neue-latin-400-normal.woff2", "sha512-uZsyUTExw8tCySNhL65dN6rEUhASMPGintSS5Kw/ZkrQTK1vcAgramzOLT/mZKtZ+EXr03MHj0s5osVVJITCow=="),
    FontPackage("coming-soon", "5.3.0", "coming-soon-latin-400-normal.woff2", "sha512-a5SW74ZAVTiGhu3Ml+rRvySYiW4kCXps+CTfPGIoEMbOl11Cy2xOF5UE2Pxlili4fGYrd/bAStaDFqbtEemx6A=="),
    FontPackage("cookie", "5.3.0", "cookie-latin-400-normal.woff2", "sha512-AtnBsONRkiiS+Qq9SgzdcbxMoBgLZVgeHOOqbwtfbmOdxIHKQBhkGtCHk9x5e7iY3zifPC+Q0dQ8SwsO9iLeFQ=="),
    FontPackage("courgette", "5.3.0", "courgette-latin-400-normal.woff2", "sha512-WIJoNC4W4ur9pvqknO8SJUld0L7U0YDjgv23f8pE+Ec/nMDCVQ6NUNc3xdPSDIKTsXxVJ8lMOkk2UrkIrcc9VQ=="),
    FontPackage("covered-by-your-grace", "5.3.0", "covered-by-your-grace-latin-400-normal.woff2", "sha512-QurmStAERGPv2vbl1Lxe76IWsYzXiZXz7lkxbw5x9OT84EAih8PmBkdWxatO7dj37UsInic30MA/EKpJ58bmtw=="),
    FontPackage("crafty-girls", "5.3.0", "crafty-girls-latin-400-normal.woff2", "sha512-y4od4B+RjEqi7lXu3YTrLpKY5P+ZMPw/M2pAuUSQQPRJXD2zyZKldxqD53osItC/xWa++N5OmsZ3+O0XM15ZXA=="),
    FontPackage("cute-font", "5.2.8", "cute-font-latin-400-normal.woff2", "sha512-WwkCWEwKavcfDMhMfC2RyZWHOXxOuJHp/1bp4r580qx4RjlVL2Sic/iKvkqXGZfUM0kcup9V0J3bD1yBXzlY6Q=="),
    FontPackage("dancing-script", "5.3.0", "dancing-script-latin-400-normal.woff2", "sha512-/FFbz4ZCNN+eG2a6phkZB41iKmyCC6rq2blA/kG9OFeI3/tpzLNazND1bBdEnogLhpfg7o4NfauTbEEYSpSUGg=="),
    FontPackage("dawning-of-a-new-day", "5.3.0", "dawning-of-a-new-day-latin-400-normal.woff2", "sha512-G8r51s723zK2BenoOXuzXlvXdwgtVWXPdZotaP0NVTDIoE8JCdy5+EcK2X3vvXwGbVjDK15u/0TwnfRv/Z2R2g=="),
    FontPackage("dekko", "5.3.0", "dekko-latin-400-normal.woff2", "sha512-KbCcnDohm16E14EDiGV0XbTd4Bq3vV2zyAt5tQA7ddcP3oHFQBOCseQSV224bVLE06GBnaGqC2Qkv2Itv3hjdw=="),
    FontPackage("delicious-handrawn", "5.3.0", "delicious-handrawn-latin-400-normal.woff2", "sha512-XeNjkS06KdZbGGLZt+C/XfTbkCg1VeX52d3THKJykrHmsCV8U4lPjWvF2wzEuWVPjl5mrPBOjM2FnKM38j/N0g=="),
    FontPackage("delius", "5.3.0", "delius-latin-400-normal.woff2", "sha512-gl1jlqiY302zPebYu5VPR9eimIzdaCQCLDALpqWLgU0F80mMlu7p8X8p1ivSFif/qBpttprrryErqxj/VFYzDA=="),
    FontPackage("delius-unicase", "5.3.0", "delius-unicase-latin-400-normal.woff2", "sha512-8wKpauSi7HRaJHrlZE8Rs7nTVRmcgojZIIMq1S1dxwajuHXpO0BCIYP/JhpFpkCW31NWeR6d30L/ACG5l1EqNQ=="),
    FontPackage("east-sea-dokdo", "5.3.0", "east-sea-dokdo-latin-400-normal.woff2", "sha512-enU97VwzWkYoPpeSBZaltrS431FQSwOyVTlyqxduhGGnNAho9hRGmP0ENxxMm5NTS6r4sqaWQ9AKVsJVNSMXYg=="),
    FontPackage("edu-nsw-act-foundation", "5.3.0", "edu-nsw-act-foundation-latin-400-normal.woff2", "sha512-MTQtFdAtaSBT6ZtbO6FYccYtrp8FJKR24HIIBXQ7awLNtoSgNjszqSs8NcF/ATnOcQN7pvpyrZEJW6pcIMrx6Q=="),
    FontPackage("edu-qld-beginner", "5.3.0", "edu-qld-beginner-latin-400-normal.woff2", "sha512-zQ7lkQItmihYXTNMWZSviX0j2yD14QnXhlFe0TX2xb9c8VDXDXF4D01bQS+C3dwYFeo30+fKn6Gm8saDukSlDg=="),
    FontPackage("edu-sa-beginner", "5.3.0", "edu-sa-beginner-latin-400-normal.woff2", "sha512-gtJc8KFUKT4J67kz18MnTcw2R2c5gG431iQBp6qeZ5LuL4RmTfOTzeyVnfaXAGTuErvgAh81cZe45HjE4785/g=="),
    FontPackage("edu-tas-beginner", "5.3.0", "edu-tas-beginner-latin-400-normal.woff2", "sha512-uXQLzVHbVTzSwyqf4/iuJ2eeK8/bzBDrTO2mRKU9GWpioI4qtWzL2BEpksL/EWB9/hAm3TfvVLYbHnsXeTPfRg=="),
    FontPackage("edu-vic-wa-nt-beginner", "5.3.0", "edu-vic-wa-nt-beginner-latin-400-normal.woff2", "sha512-937PDzwEBNad4L8YYwUcdPiTNDBap9Uq2l6KK4Mk1PxWkaYpIKRYq/Mf5uQPgxA3FyJgMu4exVeAbEjkevUkiQ=="),
    FontPackage("fasthand", "5.0.20", "fasthand-latin-400-normal.woff2", "sha512-8R44lLEMDi1+Z13MJou+gij/MC17uAbAIWTvukTzz+34izn+P/nK7Q2ZSDhdQgOVAHaPHO6un+fC/vPtr6sjMg=="),
    FontPackage("fuzzy-bubbles", "5.3.0", "fuzzy-bubbles-latin-400-normal.woff2", "sha512-a3OG64z+Ut8doNMbwhbrtLDeT2Y8xPb+UbLZOpy9bb7bBDhaYQCaoIBY/DRhWhrKgVzpVLBcQj41O2dZ9rpSaw=="),
    FontPackage("gaegu", "5.3.0", "gaegu-latin-400-normal.woff2", "sha512-eSVEXay02/DAB5BtH/gpsujvpT78EjO6XVuNA1ap1G+xvr3zokU2HoLoaW+CfzykRuVgDQ2oZ1oe7VAlmGZt/A=="),
    FontPackage("gamja-flower", "5.3.0", "gamja-flower-latin-400-normal.woff2", "sha512-/Y9xHzyJ3+BaltHRDKT+Iwg439M3CkGtDXVQlOysoDSYg35M3a/QYSvX0+mqupE+KQYBtm46wXS4V8BiFJ5udw=="),
    FontPackage("give-you-glory", "5.3.0", "give-you-glory-latin-400-normal.woff2", "sha512-cxsoZ0ZpXJg2zdM8qktRiZyHG1PGWXtCblIL8EIoYtZKyCggSLfFV6+LatYc78ZNFXb99l94W/3EVV6jGDwYBQ=="),
    FontPackage("gloria-hallelujah", "5.3.0", "gloria-hallelujah-latin-400-normal.woff2", "sha512-U4gt7qqWGn4bysvZZ9BBv8dlRzb11dFUMV8t7xQg26th2zPou/obRjR7MlxeTvVxYd1geWnvZAJprh/bQOG3dw=="),
    FontPackage("gochi-hand", "5.3.0", "gochi-hand-latin-400-normal.woff2", "sha512-IW6Xo3wbZuTLyx7hZzIr7+VSQwQ3oEiLZRphBnuNVaK+dhdxwYw57/r1NVi8x1ubX4OYyCG2S04mH6tLhanIsQ=="),
    FontPackage("grand-hotel", "5.3.0", "grand-hotel-latin-400-normal.woff2", "sha512-tGqyrh9EKrmiI4Hk2mPuADbfPhefKFvhFTJ2emYr2z8gwmXLgiQ+eTAV7Ag6j7LCduzBDZlZV/CK3oKs6SqszQ=="),
    FontPackage("grape-nuts", "5.3.0", "grape-nuts-latin-400-normal.woff2", "sha512-nhn/UsX4cj/QT8pWSb1uwA19JrsKWXfGgic68B+691RjORF2rKpIFVj7RgYcTAbZBAEkAg07qNmXs2TZt7x8mg=="),
    FontPackage("grechen-fuemen", "5.3.0", "grechen-fuemen-latin-400-normal.woff2", "sha512-Sx9WFQz1w6X6i6ydiKtnx89fVzGdLPJlyy1dUZK+XpCntBmOlyhRpH96LOxT+GF34keATv/z9xSK8K5P9cRO8w=="),
    FontPackage("hachi-maru-pop", "5.3.0", "hachi-maru-pop-latin-400-normal.woff2", "sha512-P46hjUscQPRUr2QpSNxzll6yRSOlbOY4nCo3dGRNd9U0CJ9PRreLm5FOtoPAWJv0dJ9m+5zYf4cbbpTJu3pbXg=="),
    FontPackage("handlee", "5.3.0", "handlee-latin-400-normal.woff2", "sha512-bginDzMq4WhtYCcCR5O/WUh6mjXgZ17miwY4mSCR6+Z5iXaUGc71GuFHdFKsZBTO+9CZqRRfXaGtTSz4IIf29Q=="),
    FontPackage("hi-melody", "5.3.0", "hi-melody-latin-400-normal.woff2", "sha512-XrJgNcORA0hIA0IQmEj0xYeRAGFUHD9sQ0BGxxz4h+SauHeQRTuqU0tC+azJpvInW0Qwz8qevawYy6EtGo687A=="),
    FontPackage("homemade-apple", "5.3.0", "homemade-apple-latin-400-normal.woff2", "sha512-awJSYTbSY3SroC8nirEhDauHvERVvm0LI3FpUHsPZXl9Tht1xrqhiI8ro4yf3ROcvQ7CfFJ/2+DLcOHBOXhJKw=="),
    FontPackage("indie-flower", "5.3.0", "indie-flower-latin-400-normal.woff2", "sha512-Wo5eN/ruEQcyC3+ArzhlpqWQgph3VuCNbJlEkVw17LUd0uyTHOb9bTec4g9njQzjiL/ijACF27sSwy90L6kZBg=="),
    FontPackage("itim", "5.3.0", "itim-latin-400-normal.woff2", "sha512-y3m8RZeRCclnuQHgiRYIitCKc7iOthBo2SBYY8aDuyToKwGAvRMvBXHy6mdYceJbamRQrShEspXzkXTMDN20nQ=="),
    FontPackage("julee", "4.5.11", "julee-latin-400-normal.woff2", "sha512-uTpDhRRVHTWNDgbG0Fx9EyMBPPvV1d+n1GeEkM5ALz5jEEe1JdCwNwH+Kj6WYpOjnlaSxZ4LNofus6+UMyKepA=="),
    FontPackage("just-another-hand", "5.3.0", "just-another-hand-latin-400-normal.woff2", "sha512-bTlWMHx7fSJK5LGAJVlna6ZkOPsgz71J2lBGl931BiigvHeV0/5y7hT2evZWEztlEtNJ29ksqLpJcYc1qZ0HFA=="),
    FontPackage("just-me-again-down-here", "5.3.0", "just-me-again-down-here-latin-400-normal.woff2", "sha512-HePfS55Wx8gjeNBbR3vac6vo/ZpDkM2gklaCX2q/wQL/raX1tw+ku7l0B8DsrSOnukoh+3ULV8yKug5e+EJchw=="),
    FontPackage("kalam", "5.3.0", "kalam-latin-400-normal.woff2", "sha512-FDkVoDfPDCSN/eO81FOYtUI67eMgpVBJmjBtAqSL0PmEhJyeFY2biC+CR+yEttksgXR9+swpFdYmQTyjwBq80Q=="),
    FontPackage("kaushan-script", "5.3.0", "kaushan-script-latin-400-normal.woff2", "sha512-Kdcvr76wOGp2jgKkkmAOETmPcw/a34RU/qcGW2+gSKzkKyr03vEaLWSbSABoVKWuyuoqWoulcmC4571vq3BYvg=="),
    FontPackage("kavivanar", "5.3.0", "kavivanar-latin-400-normal.woff2", "sha512-d/3B5d5KAW1Mxo0GZaLdc9XRIWfN+5vdsbloaNBqDP5O9KNBgl3MzvyMWxKwmxgNoOTtL2ox5f0Fd5NYvPEfBg=="),
    FontPackage("klee-one", "5.3.0", "klee-one-latin-400-normal.woff2", "sha512-1mnMRQO70AnTCHaWy5ovYKjbvszpOp7//bMDZ+PnjBMmar5YRcbskVzM4u+Syd8CMWw353R3BvsrsKQrwVRnEw=="),
    FontPackage("kristi", "5.3.0", "kristi-latin-400-normal.woff2", "sha512-1QxHxn7Zm4W0Tnhcu4z6buQvDxx2Y1kS7+LT4zezX9eYRS/ZWgannONCdS15svsB/4XcgUqGTzq8B0W2uyXIcQ=="),
    FontPackage("la-belle-aurore", "5.3.0", "la-belle-aurore-latin-400-normal.woff2", "sha512-EEzeg3+Ym/9ESBw98/8OckEDxlkMMrR0wlwctGNX9oN1X2DyQHHLppB/ErwfwkptiWtkZYRNyNfZPkUcaFn/Ag=="),
    FontPackage("lakki-reddy", "5.3.0", "lakki-reddy-latin-400-normal.woff2", "sha512-VsbaqR8idpbTjpMIgwQgR9VhpUM/whCBBAhi0KiJbdx/67YYP30TAdd3p3vnm4IY4OmAt/WdbXxnGwhDVs4KAg=="),
    FontPackage("liu-jian-mao-cao", "5.3.0", "liu-jian-mao-cao-latin-400-normal.woff2", "sha512-OaFm4okm77XoGA9jp1J89tDjdWlzb68yJCUL7LV75QxUWF/qOBRVqmhP7XFFsgcn/PL+nc2dPvRGT/8yit5LZg=="),
    FontPackage("long-cang", "5.3.0", "long-cang-latin-400-normal.woff2", "sha512-lCcBJb+LWZpYCVtGvQRiZPy5/EaGPuYLycpJXUIOz28EYGGqhTVWBRqY6ucaW8l1F8gvfjutY1PoAPUrFiP0wg=="),
    FontPackage("loved-by-the-king", "5.3.0", "loved-by-the-king-latin-400-normal.woff2", "sha512-c0ccNbPtFSOmyw+aVpKg93pr+k1pFNaNiz7c4xJ6KizF+Dmug15E9x8RB515bq8KZ1w5uQH9ZW0b0gTDzviMbA=="),
    FontPackage("ma-shan-zheng", "5.3.1", "ma-shan-zheng-latin-400-normal.woff2", "sha512-cGGn7Yje2RSduXVxEk+rCfNZyD/T/7FMGj03LNPiK8TRL9Sing0tq1zJF3n+W29szPqgb2RNs5oIvmm+ikeI+Q=="),
    FontPackage("mali", "5.3.0", "mali-latin-400-normal.woff2", "sha512-/H7zdnFcBUdLh7mPUCLWfCoQVgtvnVKrlHjknq90kltPvUcu0nC9ybne4z2rzTghV9ez9N7nRDvRZesODB/YbQ=="),
    FontPackage("mansalva", "5.3.0", "mansalva-latin-400-normal.woff2", "sha512-Ue525bEZRg7Zu3PbfBW08JxmpAgJD4zgVgv5cMzgoLLh0inGFvKKHTwx7NPImv+VFrfqde/E2V8HWWnSgkabRw=="),
    FontPackage("marck-script", "5.3.0", "marck-script-latin-400-normal.woff2", "sha512-PLm3zCeXB7osgon3TC0bjBFPua3d5syocLWFpK5eZZGoaSsOw6bpHLdMoGB8PkAErf4RiRUEiszs+Y7JhDnB/w=="),
    FontPackage("merienda", "5.3.0", "merienda-latin-400-normal.woff2", "sha512-0CpBXbcYSFw2zUiGEzAluqlFnKBDsTG6DxPAxyDbRtx4pTJcIDeBzLd7nWst0MGRpwsRs3TURlzVYsxJ/rA7ZQ=="),
    FontPackage("mr-dafoe", "5.3.0", "mr-dafoe-latin-400-normal.woff2", "sha512-zYTNXnERIkYWqFDTOaw5Z5xL9H1twFhAhFwxFIEWA/Y+dt0E3XpySsFFxhiOElIZUAOMuVvxrd/s976G/3cEzg=="),
    FontPackage("mynerve", "5.3.0", "mynerve-latin-400-normal.woff2", "sha512-mh62g+5piX7VjNf1qA2f7zQziicAlCFnPcCu6iOblcIwqtCQKbaiI8onjpOCo4nDpWRLa8N7bLaf1e5oGNboZQ=="),
    FontPackage("nanum-brush-script", "5.3.0", "nanum-brush-script-latin-400-normal.woff2", "sha512-CbQQAKx0oQ7JgBn6YrxZcS/2SJfSTjAM8G/+LXpSyhxZ9l2P1yItpEkPutLNS+EaZU1bpuOPniuQdOv8g/4CNg=="),
    FontPackage("nanum-pen-script", "5.3.0", "nanum-pen-script-latin-400-normal.woff2", "sha512-at9MFL8ga0A3Xce1+CO6/56F/SHIlf++D4vVKw3yCNRPKh6JU0UgZ3r9un0qHPVxx0Miq2bGZ35RRRlu/4BIDg=="),
    FontPackage("nerko-one", "5.3.0", "nerko-one-latin-400-normal.woff2", "sha512-7AYjxpgp1dvgq0/e3qVYlOViGt0TEmeuZ0Yv2ti2KWaRnwkJucO3F7ChwhIrDzpKE0/jgxoEwaf7bL2RTAnsjQ=="),
    FontPackage("neucha", "5.3.0", "neucha-latin-400-normal.woff2", "sha512-7PoHR/5toTeYP3T6wJyZ8xcT3uTJ6UcyAgrDo1OIUtKX/xuxbblvUyVQcN0lQEppY6EgkCC8zMkFsBhwUvWXBg=="),
    FontPackage("nothing-you-could-do", "5.3.0", "nothing-you-could-do-latin-400-normal.woff2", "sha512-695oxA7Odedd4rqN9aDhgVUwtyYhfmIJH02y32g/B0yoaVMRwTCZe3TYFt8LodpKeN/8v5w+svcyde0eBBE28g=="),
    FontPackage("over-the-rainbow", "5.3.0", "over-the-rainbow-latin-400-normal.woff2", "sha512-3+g5zkHJMDz1ryNnCz49l3IUbq6Q6keb7zI3TQwFMN0yL2S32oWSGiLCTt0Ez7HVn7Wd5VxC1/n4gAjZRHhULQ=="),
    FontPackage("pangolin", "5.3.0", "pangolin-latin-400-normal.woff2", "sha512-3avtyqWX2QiQXKxVChWeVtF3FpB/wcojYXP13oO30WG44Ox9bCUHuHEtMd6NVgqpXSUqNLFaLm8K+29xVzkDZQ=="),
    FontPackage("patrick-hand", "5.3.0", "patrick-hand-latin-400-normal.woff2", "sha512-V8C38IlIFfdWg0Xtri3F7sLCVpm069rUwn6w4n+oyn38gt7H4arOJmuReg3tAw1Q6jHqZp89wTnAAJagq4Atxw=="),
    FontPackage("patrick-hand-sc", "5.3.0", "patrick-hand-sc-latin-400-normal.woff2", "sha512-aOTz6DMfmqH88dR1oKtsJWoA6MoY5P6F/Bt7AFxgCsG9LzitbcosVuPYq/lzLdhulAtzci9TRAM6nztaLyWQsQ=="),
    FontPackage("permanent-marker", "5.3.0", "permanent-marker-latin-400-normal.woff2", "sha512-ZO/NtYW4SCc/iY8N3dmjWyDITcXJ/vhWZFgnwRcvzwCKKnScMrM/a2/6VHlsjCVuIgmPzNrCFbedEYhv+/jJBg=="),
    FontPackage("playpen-sans", "5.3.0", "playpen-sans-latin-400-normal.woff2", "sha512-94O9WdgAmvFpAjsPOgg5JZII4clcNeeMqQdNZh7Jz40rmcNv05jzwxyuw25IRjTb4o2aMV7eXjXC8GTFo/+s8Q=="),
    FontPackage("playwrite-cz", "5.3.0", "playwrite-cz-latin-400-normal.woff2", "sha512-Z5vJ5z5Wxkyfxf7h5LLPdpKVbtY2Vmj+Jta21IMzKw6cC3T3Przq0/4rLqXzKIkfuFdspUdjnfmfIqd51vd4aA=="),
    FontPackage("playwrite-de-grund", "5.3.0", "playwrite-de-grund-latin-400-normal.woff2", "sha512-Qoam7BC1GA6Lz2M+I4cBmLrqxhRFEuDrTF0jUwXJMRt5/GyzAI4AnWzbiHfQmi/DpdnjRvCo71iXQ0B/j1hs6A=="),
    FontPackage("playwrite-dk-loopet", "5.3.0", "playwrite-dk-loopet-latin-400-normal.woff2", "sha512-z6vM4+ZE7vse57qyIjsHNqwlPNYm6ar/43q1RpJa5040v9OkHiZSLAEtiVIkPA4kxn+C3ZCfOpr3nV/ycNZyfA=="),
    FontPackage("playwrite-fr-moderne", "5.3.0", "playwrite-fr-moderne-latin-400-normal.woff2", "sha512-dWzPLX4CSbE4RfkArrBhW1SSoOe60pGnCEMDUf8NOEKZaifd/FQb2yLbCIUkzmOwu1Kr8vmLiNIuLaHoF8OJKw=="),
    FontPackage("playwrite-it-moderna", "5.3.0", "playwrite-it-moderna-latin-400-normal.woff2", "sha512-kc2kJ1FGlZa3bRr0XM8nFRP4ce8piob11EBCmDXeTdnIjqq5PlkqMeKUJaSh8krj3C0k6xWxlq+tOqto0KKTKg=="),
    FontPackage("playwrite-nz", "5.3.0", "playwrite-nz-latin-400-normal.woff2", "sha512-ojuv/RQR9oygvMQiKmcqcX2dg7kQdotrfq5azjpqhA2tLPr1yT4IqIK6eFNQMoIiPoXmGOtZ3ifRmnrmxwkpzg=="),
    FontPackage("playwrite-us-trad", "5.3.0", "playwrite-us-trad-latin-400-normal.woff2", "sha512-wB79WztyA884OfCGO/Bx0qJoLcZkHh6CYAMVFkrx4UuPUxQBkMKPwGOeu3K3NpF4GpxSikL1H6HacZozphWpNQ=="),
    FontPackage("playwrite-vn", "5.3.0", "playwrite-vn-latin-400-normal.woff2", "sha512-AnseD3TAVcz7sWtM6x6X/jvlrqoWtrtihwRvN3tA/OQvB8hGFD/HPvm5nmDCjElaK9cxCMY8lMHcw/8u2l3hpQ=="),
    FontPackage("poor-story", "5.3.0", "poor-story-latin-400-normal.woff2", "sha512-L6FR+YlMi++oUpL59d9I3WrhPR8puj/LKGJtYWfpIZteQR/gLjaVHmohlXjMGoXR3pNtKrDFeP2xbmykBRo6HA=="),
    FontPackage("rancho", "5.3.0", "rancho-latin-400-normal.woff2", "sha512-z43fUmCskj09DC7V9Nj35nSVY5R8OoBjlGj/n2noNqWZAsOMo80A0ifEnDgS2PQp7N4N606cL+2iXHKVmqz2Zw=="),
    FontPackage("redressed", "5.3.0", "redressed-latin-400-normal.woff2", "sha512-bTZ/pg+YDLIw9J4oADome+VPXKPDSDlAEBP1PSxfwZ7kyFom2Pq8RYrSlvm3zdovVJ5nqbMi13OdSc+U2+XGDA=="),
    FontPackage("reenie-beanie", "5.3.0", "reenie-beanie-latin-400-normal.woff2", "sha512-PgEiqKdPCLlvdY2IMWMBdYyMdr1mo1zxVBRNFlo3gclnCz560iiyTTt0dU4/VIGnjhyAb3gSWIQL0qXnn5oaYw=="),
    FontPackage("satisfy", "5.3.0", "satisfy-latin-400-normal.woff2", "sha512-dQ+Cy85XdwYnwlzWcbkmA2Qkpxam0ZHDaGm/qoGHlyHKRVgM/BJN8RLHpRm31R0REFBQe5Yl8Ke5oTdpcKdPIA=="),
    FontPackage("schoolbell", "5.3.0", "schoolbell-latin-400-normal.woff2", "sha512-7AWeUHHTiLIKz2V8d0fuG7mw8tlEoQ8Z8dtTpXTEs9hE2z6YFe1RjCCFtYuaSuPLZqYNVqzQ7owG/xJpTyY55w=="),
    FontPackage("sedgwick-ave", "5.3.0", "sedgwick-ave-latin-400-normal.woff2", "sha512-vGquHj820A3Zu6nuspfLILpSK/NlLdfAAxFMlhFSt3Ivh/abHanB+0etNNmhUccwpcJyW2fsbFezCP1b2EFEkQ=="),
    FontPackage("sedgwick-ave-display", "5.3.0", "sedgwick-ave-display-latin-400-normal.woff2", "sha512-dMK26R4CmjHERtZlgwwZP/qQ68lGmF0WhM2AOxMo6E0WUR05CftL1pvFQzHRwVNeg4NParh2i/2B/Nia/+vPzg=="),
    FontPackage("shadows-into-light", "5.3.0", "shadows-into-light-latin-400-normal.woff2", "sha512-3dvv0i8/ZwLMY08AAlTLivHUdNQYB6Fxe92d7BZiGbHY2GQnCxEd8JC9CBzxTiP4iyWNa6OZn9LXF+xjc9LaGw=="),
    FontPackage("shadows-into-light-two", "5.3.0", "shadows-into-light-two-latin-400-normal.woff2", "sha512-ocHR3Be4AuiTd5W8dyZVZ2E0dz/Hbf9Kn+89qbYwHnH3ZY0GBxJY0csBbrnMUeaP+qRxdt26tHFXiJccPYBjAg=="),
    FontPackage("shantell-sans", "5.3.0", "shantell-sans-latin-400-normal.woff2", "sha512-hVKmS5EO/xGOtKx+rHuyqIsswjWp5bb91DlszxSkO4jEqOSaRIjYH/iu5gJ7QVszDlofoezZeWM5OdKgyE2jtg=="),
    FontPackage("short-stack", "5.3.0", "short-stack-latin-400-normal.woff2", "sha512-nhIm4HgWq6AsM9Sg32OrsC298avDiDhqoMRMYpv5T5OSCIpAwPXpnIgJYJVLzkSC9hOqhKxX5NGZ2ViaDM+7MQ=="),
    FontPackage("single-day", "5.3.1", "single-day-latin-400-normal.woff2", "sha512-6RFVF1vwMlJyEWBo/0XfZW57jRYbihIxbtBJze6sfWBhFZZRZ3t1fZbzm85JwKG5bsNZmggQuqckkIUTGJrIow=="),
    FontPackage("sofadi-one", "5.3.0", "sofadi-one-latin-400-normal.woff2", "sha512-6BXIKBZ+zByp3HDLNSjzYkWw1fhiUUI7qeRGwROyHDLoAudM4bjGT/J2ZHP0j0RQjJNPvhojv6pw4BKzHBbJvg=="),
    FontPackage("square-peg", "5.3.0", "square-peg-latin-400-normal.woff2", "sha512-b8cGgpXiFhtyk26obYbFwoZy/emWS/fWvxH4ih0TJHOkkLotxmFzo/AuTxyFdrXaapwR1sfbHwkztko7hPZa4g=="),
    FontPackage("sriracha", "5.3.0", "sriracha-latin-400-normal.woff2", "sha512-0JjwrC1/BXsSXMEcmmtyoQut1/gy/+wGBP1wiSPaPXvHr1yBmmU2Kl8drBSpRtvRD4Rm9Bb2/FdDK3x4yQ364g=="),
    FontPackage("sue-ellen-francisco", "5.3.0", "sue-ellen-francisco-latin-400-normal.woff2", "sha512-cwzU21In+AcbXarvXqFrsTC9GEqMUvm3lHuNmu3DfcNkUcBIGUAL0tr5OklYJiHzuM4aJiZF1nj4gQN51Ri71Q=="),
    FontPackage("sunshiney", "5.3.0", "sunshiney-latin-400-normal.woff2", "sha512-kZuhG0hDUhYHa/AeTNwiRFXUNe4m+mCX8d1mJ9TNFgfttBZazVxHYeswbuPGnLE9pTI0QCOAn7rM2WlIaEkahw=="),
    FontPackage("swanky-and-moo-moo", "5.3.0", "swanky-and-moo-moo-latin-400-normal.woff2", "sha512-JPlkYzhnQpdsJSp/aVuwBem3o2JN1oH7x7V+nWJtvrLX9b0RZr/GxZIPKvhkeUrIIaU0cvmBRcMl1454q/FQTw=="),
    FontPackage("the-girl-next-door", "5.3.0", "the-girl-next-door-latin-400-normal.woff2", "sha512-ysHz6+NKIRzT7z++4TrDb6sTd6GvyItwFukOBxT7fmGS87NEkiBaq86gNXqaTiaBGZ9X0Jyryx9dHHNagAeHHw=="),
    FontPackage("unkempt", "5.3.0", "unkempt-latin-400-normal.woff2", "sha512-K6olfBY6VxilzEYjA2tNkNa15wRYc6Cw7cy294v7P8dAJUg4QhgHJNHLvsJPAWvxcG5zkXSbjWEt8qkedUrFug=="),
    FontPackage("vibur", "5.3.0", "vibur-latin-400-normal.woff2", "sha512-fPh4pmAQLUJNO9qJDKMEmxwimu3VbuP9oclw5BrXVTUy13jNSUai5dSuA9x+aR5yGjuDu74NVwkEnYgEizC/dg=="),
    FontPackage("waiting-for-the-sunrise", "5.3.0", "waiting-for-the-sunrise-latin-400-normal.woff2", "sha512-bWgydceOU/hl2oNpG2H4M2JIhla8OM4MZsTGPTKWlxlBjhPtmfABziRbTg63bh4OnG7aiM6tCq6mub6Dd+ckcg=="),
    FontPackage("walter-turncoat", "5.3.0", "walter-turncoat-latin-400-normal.woff2", "sha512-X+pB5BQw6/rq6bFmkQ1YEItelws7LM7j8ow129eiJUdCmRSr8zWgug4qJWyPKBDsyBfzTe4OMEzDsa4/2jbDOA=="),
    FontPackage("yellowtail", "5.3.0", "yellowtail-latin-400-normal.woff2", "sha512-atz4CIdbP7otppxRaObJiygnkyJzIuLFpPRjWspXvXhBWLB0sk35cCu5r6gSkDomRtEWakJ8//bWbyBjJbilGg=="),
    FontPackage("yeon-sung", "4.5.10", "yeon-sung-latin-400-normal.woff2", "sha512-Yjo7MHFG6dPw9dpoxZUvyqyDI4XJPYmov3ZCAesB6VQP08d7uyW0Bp5mJKPw6piZX9/j1kUpd1MUjex8fkp8MQ=="),
    FontPackage("yomogi", "5.3.0", "yomogi-latin-400-normal.woff2", "sha512-D35BWMd0BVhtYfpE7r1UfTNZHxaFVvLw4Rz2ym+yvEE7vlIfwtZEQFp4VFCvlcH+BwoAJD1mFH/r/XV7qDxeyg=="),
    FontPackage("yuji-boku", "5.3.0", "yuji-boku-latin-400-normal.woff2", "sha512-DdM6GebHQ79LTZSv1wyjrNl0pgsf40X7dgiCydWXOMtY5PrZX/ZksWjbQVxVqjU0Xofw0cEJJf5Vd2VXiElWEw=="),
    FontPackage("zen-kurenaido", "5.3.0", "zen-kurenaido-latin-400-normal.woff2", "sha512-Oh7XLWpdTV7/f6xgdw3pmDPpu8OHEdXu9QEL2TEjoBeg85z1qWMb4lvQYDtNQx6gaERvKQ0OrgvpS3S/ka/+bA=="),
    FontPackage("zeyada", "5.3.0", "zeyada-latin-400-normal.woff2", "sha512-c2bBcLATKk5vGouGX5NeHiHEom1u+7TiHsdfNPIUgO0DL3jl5PTGWWjlMjoPh2vhllA9XiKCTS/8MY2ylT95vw=="),
    FontPackage("zhi-mang-xing", "5.3.0", "zhi-mang-xing-latin-400-normal.woff2", "sha512-V21yCCm5o2PHdXF2P9KKh7uiqL8QFFuII4DRQkpG24tfyDzJPchXKsxkcvKM43xEPvQKdbhHCBbXEFjcm/TUCQ=="),
)


def family(name: str) -> str:
    """A font's family: fonts by one designer in one hand (all Playwrite school scripts, say) share it."""
    return next((prefix.rstrip("-") for prefix in FAMILY_PREFIXES if name.startswith(prefix)), name)


def is_held_out(name: str) -> bool:
    """Whether a font only judges (never trains): half the families, chosen by a hash of the family name."""
    return hashlib.md5(family(name).encode()).digest()[0] % 2 == 0


def fonts_dir_from_env() -> Path:
    """The fonts folder: $DIGIT_FONTS_DIR if set, else artifacts/fonts in the project."""
    value = os.environ.get(FONTS_DIR_ENV, "").strip()
    return Path(value) if value else FONTS_DIR


def font_paths(folder: str | os.PathLike | None, held_out: bool) -> dict[str, Path]:
    """The fetched fonts of one half (held out or for training) -> {name: path}; FileNotFoundError if none."""
    folder = Path(folder) if folder else fonts_dir_from_env()
    paths = {package.name: folder / package.file for package in FONT_PACKAGES if is_held_out(package.name) == held_out}
    found = {name: path for name, path in paths.items() if path.is_file()}
    if not found:
        raise FileNotFoundError(
            f"no handwriting fonts in {folder}. Fetch them with `python scripts/fetch_fonts.py --out {folder}` "
            f"or point {FONTS_DIR_ENV} at a folder that holds them."
        )
    return found


def render_glyph(font_path: Path, digit: int) -> np.ndarray:
    """A font file and a digit -> uint8 (GLYPH_SIZE, GLYPH_SIZE): white glyph on black, centred, 80% of the side."""
    from PIL import Image, ImageDraw, ImageFont  # only the font scripts need Pillow's font support

    font = ImageFont.truetype(str(font_path), RENDER_SIZE)
    canvas = Image.new("L", (2 * RENDER_SIZE, 2 * RENDER_SIZE), 0)
    ImageDraw.Draw(canvas).text((RENDER_SIZE // 2, RENDER_SIZE // 4), str(digit), font=font, fill=255)
    ink = np.asarray(canvas)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 40), np.flatnonzero(ink.max(axis=0) > 40)
    if rows.size == 0:
        raise ValueError(f"{font_path.name} draws nothing for the digit {digit}")
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = 0.8 * GLYPH_SIZE / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    glyph = np.zeros((GLYPH_SIZE, GLYPH_SIZE), np.uint8)
    top, left = (GLYPH_SIZE - size[1]) // 2, (GLYPH_SIZE - size[0]) // 2
    glyph[top : top + size[1], left : left + size[0]] = small
    return glyph


def font_digits(folder: str | os.PathLike | None, held_out: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The digits 0-9 of one half's fonts -> uint8 (N, GLYPH_SIZE, GLYPH_SIZE) glyphs, uint8 (N,) labels, (N,) font names."""
    glyphs, labels, names = [], [], []
    for name, path in sorted(font_paths(folder, held_out).items()):
        for digit in range(NUM_CLASSES):
            glyphs.append(render_glyph(path, digit))
            labels.append(digit)
            names.append(name)
    return np.stack(glyphs), np.array(labels, np.uint8), np.array(names)


def handwritten_variant(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (S, S) glyph -> uint8 (S, S): as a writer would vary it: slanted, turned, narrower or wider, wobbly."""
    size = glyph.shape[0]
    angle = np.deg2rad(rng.uniform(-10, 10))
    shear = rng.uniform(-0.3, 0.3)
    stretch = rng.uniform(0.75, 1.25)
    linear = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.array(
        [[stretch, shear], [0.0, 1.0]])
    centre = np.array([size / 2, size / 2])
    scale = 0.95 / max(1.0, np.abs(linear).sum(axis=1).max())  # the warped glyph stays inside its square
    affine = np.hstack([scale * linear, (centre - scale * linear @ centre)[:, None]]).astype(np.float32)
    warped = cv2.warpAffine(glyph, affine, (size, size), flags=cv2.INTER_LINEAR)
    coarse = rng.normal(0, 0.02 * size, size=(4, 4, 2)).astype(np.float32)
    field = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    grid_y, grid_x = np.mgrid[0:size, 0:size].astype(np.float32)
    return cv2.remap(warped, grid_x + field[..., 0], grid_y + field[..., 1], cv2.INTER_LINEAR)


def handwritten_variants(glyphs: np.ndarray, labels: np.ndarray, copies: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (N, S, S) glyphs, (N,) labels -> uint8 (N * copies, S, S) variants and their labels, reproducible from seed."""
    rng = np.random.default_rng(seed)
    variants = np.stack([handwritten_variant(glyph, rng) for glyph in glyphs for _ in range(copies)])
    return variants, np.repeat(labels, copies)


def as_mnist(images: np.ndarray) -> np.ndarray:
    """uint8 (N, S, S) glyphs or variants -> float32 (N, 28, 28) in [0, 1], each normalized the MNIST way."""
    return np.stack([normalize_digit(image.astype(np.float32) / 255.0) for image in images])
