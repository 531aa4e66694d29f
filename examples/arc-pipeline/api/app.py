def handler():
    return "shop api"
