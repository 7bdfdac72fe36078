const CONDITIONS = [
  'sunny',
  'partly cloudy',
  'overcast',
  'light rain',
  'snow showers',
  'windy',
  'foggy',
];

/** A made-up but stable forecast for a city: the paid content of the demo API. */
export function forecast(city: string) {
  let seed = 0;
  for (const ch of city.toLowerCase()) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  return {
    city,
    condition: CONDITIONS[seed % CONDITIONS.length],
    temperatureC: (seed % 35) - 5,
    windKph: seed % 60,
    source: 'Casper x402 demo weather service',
  };
}
