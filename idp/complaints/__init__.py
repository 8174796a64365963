"""Ownership complaints ("khiếu nại"): a person whose identity number already has an
account they do not own asks operators to review it (filing, evidence, resolution)."""
