export { stripeClient } from "./stripe-client.js";
