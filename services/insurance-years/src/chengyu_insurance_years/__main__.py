"""``python -m chengyu_insurance_years``: run one city's service from the environment."""

from chengyu_insurance_years.app import build_app
from chengyu_kit.serve import serve
from chengyu_kit.settings import ServiceSettings, load_settings

if __name__ == "__main__":
    serve(load_settings(ServiceSettings), build_app)
