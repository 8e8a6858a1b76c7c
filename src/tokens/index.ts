export { signToken, verifyToken, type TokenPurpose, type VerifiedToken } from "./signed-token.js";
