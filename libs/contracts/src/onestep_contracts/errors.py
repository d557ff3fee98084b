class ContractError(ValueError):
    """Anything that cannot be decoded into, or encoded from, a contract event or item."""
