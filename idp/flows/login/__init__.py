"""Login (user guide part 2, steps 4-6): method choice → password → SMS OTP → done."""
