// Messages: the reminders and messages the clinic has sent, newest first.
import { formatDate, formatMoment, h } from "../dom.js";
import { t } from "../strings.js";

export async function messagesScreen(ctx) {
  const feed = await ctx.load("me/notifications/");
  const heading = h("h1", {}, t.messagesHeading);
  if (feed.results.length === 0) return [heading, h("p", {}, t.noMessages)];
  return [
    heading,
    h("ul", { class: "messages" }, feed.results.map((message) =>
      h("li", { class: "card" },
        h("h2", {}, message.subject || formatDate(message.local_date)),
        h("p", { class: "when" }, message.sent_at ? formatMoment(message.sent_at, ctx.me.timezone) : formatDate(message.local_date)),
        message.body.split(/\n{2,}/).map((paragraph) => h("p", { class: "body" }, paragraph)),
      ))),
  ];
}
