#include "reconciler/order_change.h"

#include <cstring>
#include <unordered_map>

#include "common/keys.h"

namespace seckill {

Status ParseStreamEntry(const redisReply* entry, OrderChange* out) {
  if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
      entry->element[0]->type != REDIS_REPLY_STRING)
    return Status::Invalid("malformed stream entry");
  out->stream_id.assign(entry->element[0]->str, entry->element[0]->len);
  const redisReply* f = entry->element[1];
  if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0 || f->elements == 0)
    return Status::Invalid("stream entry " + out->stream_id + " has no fields (trimmed?)");
  std::string type, id = std::move(out->stream_id);
  *out = OrderChange();
  out->stream_id = std::move(id);
  for (size_t i = 0; i + 1 < f->elements; i += 2) {
    if (f->element[i]->type != REDIS_REPLY_STRING || f->element[i + 1]->type != REDIS_REPLY_STRING)
      return Status::Invalid("stream entry " + out->stream_id + ": non-string field");
    std::string k(f->element[i]->str, f->element[i]->len), v(f->element[i + 1]->str, f->element[i + 1]->len);
    if (k == field::kEntryType) type = v;
    else if (k == field::kEntryOrder) out->order_id = v;
    else if (k == field::kEntryUser) out->user = v;
    else if (k == field::kEntryNode) out->node = v;
    else if (k == field::kEntryAt) out->at_ms = atoll(v.c_str());
    else if (k == field::kEntryExp) out->expires_ms = atoll(v.c_str());
  }
  // A stream entry records a change of status; "retired" is none (order_status.h).
  if (!ParseOrderStatus(type, &out->type) || out->type == OrderStatus::kRetired)
    return Status::Invalid("stream entry " + out->stream_id + ": unknown type '" + type + "'");
  if (out->order_id.empty() || out->user.empty() || out->at_ms <= 0)
    return Status::Invalid("stream entry " + out->stream_id + ": missing order, user or time");
  if (out->type == OrderStatus::kReserved && out->expires_ms <= 0)
    return Status::Invalid("stream entry " + out->stream_id + ": reservation without expiry");
  return Status::Ok();
}

std::vector<OrderRow> MergeChanges(const std::string& event, const std::vector<OrderChange>& changes) {
  std::vector<OrderRow> rows;
  std::unordered_map<std::string, size_t> index;
  rows.reserve(changes.size());
  for (const OrderChange& c : changes) {
    auto it = index.find(c.order_id);
    if (it == index.end()) {
      OrderRow r;
      r.order_id = c.order_id;
      r.event = event;
      r.user = c.user;
      r.node = c.node;
      r.reserved_ms = c.at_ms;
      r.expires_ms = c.type == OrderStatus::kReserved ? c.expires_ms : c.at_ms;
      it = index.emplace(c.order_id, rows.size()).first;
      rows.push_back(std::move(r));
    }
    OrderRow& r = rows[it->second];
    switch (c.type) {
      case OrderStatus::kReserved:
        r.reserved_ms = c.at_ms;
        r.expires_ms = c.expires_ms;
        break;
      case OrderStatus::kPaid: r.status = c.type; r.paid_ms = c.at_ms; break;
      case OrderStatus::kExpired: r.status = c.type; r.expired_ms = c.at_ms; break;
      case OrderStatus::kCancelled: r.status = c.type; r.cancelled_ms = c.at_ms; break;
      case OrderStatus::kRetired: break;  // never parsed from a stream entry
    }
  }
  return rows;
}

}  // namespace seckill
