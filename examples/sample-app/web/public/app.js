// The front end of the sample shop: asks the API for the basket and shows its size.
fetch("/api/basket")
  .then((response) => response.json())
  .then((basket) => {
    document.getElementById("total").textContent = `Basket: ${basket.items.length} items`;
  });
