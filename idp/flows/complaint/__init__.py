"""The complaint form ("khiếu nại") for a person whose identity number already has an
account they do not own; the rules and storage are in ``idp.complaints``."""
