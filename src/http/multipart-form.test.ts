import { describe, expect, it } from "vitest";
import { multipartFields } from "./multipart-form.js";

const body = (boundary: string, parts: string[]) => Buffer.from(`${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join("")}--${boundary}--\r\n`);

describe("multipartFields", () => {
  it("reads the text fields of a one-click unsubscribe", () => {
    const form = body("xYz", ['Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click', 'Content-Disposition: form-data; name="scope"\r\n\r\nåll']);
    expect(multipartFields(form, "multipart/form-data; boundary=xYz")).toEqual({ "List-Unsubscribe": "One-Click", scope: "åll" });
    expect(multipartFields(form, 'multipart/form-data; boundary="xYz"')).toEqual({ "List-Unsubscribe": "One-Click", scope: "åll" });
  });

  it("skips files, and gives what it could read of a broken body", () => {
    const form = body("b", ['Content-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nfile', 'Content-Disposition: form-data; name="a"\r\n\r\n1']);
    expect(multipartFields(form, "multipart/form-data; boundary=b")).toEqual({ a: "1" });
    expect(multipartFields(Buffer.from("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1"), "multipart/form-data; boundary=b")).toEqual({});
    expect(multipartFields(Buffer.from(""), "multipart/form-data")).toEqual({});
  });
});
