"""Closed vocabularies of the data contract.

Outcomes and categories are enums, not free strings, so that a typo in a scenario is a
validation error and the JSON schema an LLM reads lists every allowed value.
"""

from enum import StrEnum


class EntityKind(StrEnum):
    """What kind of party an entity of a scenario is."""

    PERSON = "person"
    BUSINESS = "business"
    SHELL_COMPANY = "shell_company"
    MONEY_SERVICE = "money_service"
    CRYPTO_EXCHANGE = "crypto_exchange"
    CASH = "cash"


class Profile(StrEnum):
    """Behavioural profile of a background account; hijacked entities name one."""

    STUDENT = "student"
    SALARIED = "salaried"
    RETIREE = "retiree"
    SELF_EMPLOYED = "self_employed"
    SMALL_BUSINESS = "small_business"
    LARGE_BUSINESS = "large_business"
    MERCHANT = "merchant"
    MONEY_SERVICE = "money_service"
    CRYPTO_EXCHANGE = "crypto_exchange"
    CASH_DESK = "cash_desk"
    UNKNOWN = "unknown"


class Channel(StrEnum):
    """Payment format, exactly AMLworld's `Payment Format` values."""

    ACH = "ACH"
    BITCOIN = "Bitcoin"
    CASH = "Cash"
    CHEQUE = "Cheque"
    CREDIT_CARD = "Credit Card"
    REINVESTMENT = "Reinvestment"
    WIRE = "Wire"


class Currency(StrEnum):
    """Currency names exactly as AMLworld writes them."""

    USD = "US Dollar"
    EUR = "Euro"
    GBP = "UK Pound"
    JPY = "Yen"
    CNY = "Yuan"
    INR = "Rupee"
    CHF = "Swiss Franc"
    AUD = "Australian Dollar"
    CAD = "Canadian Dollar"
    MXN = "Mexican Peso"
    BRL = "Brazil Real"
    SAR = "Saudi Riyal"
    ILS = "Shekel"
    RUB = "Ruble"
    BTC = "Bitcoin"


class Purpose(StrEnum):
    """Stated economic purpose of a transfer (what it pretends to be)."""

    TRANSFER = "transfer"
    INVOICE = "invoice"
    LOAN = "loan"
    LOAN_REPAYMENT = "loan_repayment"
    INVESTMENT = "investment"
    DIVIDEND = "dividend"
    SALARY = "salary"
    RENT = "rent"
    PURCHASE = "purchase"
    GIFT = "gift"
    CASH_DEPOSIT = "cash_deposit"
    CASH_WITHDRAWAL = "cash_withdrawal"
    CRYPTO_PURCHASE = "crypto_purchase"
    CRYPTO_SALE = "crypto_sale"
    CAMOUFLAGE = "camouflage"


class Role(StrEnum):
    """Part an entity plays in a laundering operation; written to the ledger's `role`."""

    ORIGINATOR = "originator"
    PLACEMENT = "placement"
    LAYER = "layer"
    MULE = "mule"
    FRONT = "front"
    SHELL = "shell"
    EXCHANGER = "exchanger"
    COLLECTOR = "collector"
    BENEFICIARY = "beneficiary"
    CAMOUFLAGE = "camouflage"


class Typology(StrEnum):
    """Typology tags; the first eight are AMLSim's patterns."""

    FAN_IN = "fan_in"
    FAN_OUT = "fan_out"
    CYCLE = "cycle"
    BIPARTITE = "bipartite"
    STACK = "stack"
    RANDOM = "random"
    SCATTER_GATHER = "scatter_gather"
    GATHER_SCATTER = "gather_scatter"
    STRUCTURING = "structuring"
    MULE_NETWORK = "mule_network"
    SHELL_LAYERING = "shell_layering"
    TRADE_BASED = "trade_based"
    CRYPTO_RAMP = "crypto_ramp"
    ROUND_TRIPPING = "round_tripping"
    COMMINGLING = "commingling"
    NESTED_MSB = "nested_msb"
    FUNNEL = "funnel"
    LONE_ILLICIT = "lone_illicit"


class DelayDist(StrEnum):
    """Distribution family of a delay, in hours."""

    FIXED = "fixed"
    UNIFORM = "uniform"
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
