def test_owner_creates_an_opportunity_and_reads_it_back(api):
    created = api.make_opportunity(lines=[{"name": "Seats", "quantity": "3", "unit_price": "19.99"}], probability=50)
    fetched = api.ok(api.get(f"/opportunities/{created['id']}"))
    assert fetched["total"] == "59.97"
    assert fetched["expected_revenue"] == "29.99"  # 29.985 rounds half-up
