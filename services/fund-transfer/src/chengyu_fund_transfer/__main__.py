"""``python -m chengyu_fund_transfer``: run one city's service from the environment."""

from chengyu_fund_transfer.app import FundSettings, build_app
from chengyu_kit.serve import serve
from chengyu_kit.settings import load_settings

if __name__ == "__main__":
    serve(load_settings(FundSettings), build_app)
