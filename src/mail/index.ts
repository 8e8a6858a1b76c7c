export { classifySmtpError, createMailer, type Accepted, type Mailer, type OutgoingEmail, type SmtpFailure } from "./mailer.js";
