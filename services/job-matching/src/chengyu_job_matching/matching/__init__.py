"""(area under construction)"""
