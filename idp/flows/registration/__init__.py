"""Citizen registration by mobile subscriber (user guide part 1, steps 3-6).

choose (Công dân, Thuê bao di động) → details → SMS OTP → password → signed in.
"""
