"""The elder-care institution map (养老服务地图) of both cities."""
