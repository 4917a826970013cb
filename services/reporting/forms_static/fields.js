/* What each form asks, in the order asked; names are the v1 API's body fields (API.md "Writes").
   type: text, textarea, date, int, select (options), bool, commune (a commune of the person's scope).
   participant: a participant is picked first; loan: then one of their loans its agency made.
   label: the text's key when the field's name means something else in another form. */
"use strict";
const SECTORS = ["crops", "livestock", "aquaculture", "forestry", "food_processing", "handicraft", "trade_services",
  "tourism", "industry_construction", "other"];
const req = true;
window.TP_FORMS = {
  registration: {participant: false, fields: [
    {name: "full_name", type: "text", req, max: 200, autocomplete: "name"},
    {name: "birth_date", type: "date", req},
    {name: "gender", type: "select", req, options: ["female", "male", "other"]},
    {name: "phone", type: "tel", max: 20},
    {name: "org_unit", type: "commune", req},
    {name: "branch_name", type: "text", req, max: 200},
    {name: "branch_kind", type: "select", req, options: ["residential", "school", "enterprise", "other"]},
    {name: "model_name", type: "text", req, max: 200},
    {name: "model_description", type: "textarea", max: 4000},
    {name: "has_existing_model", type: "bool"},
    {name: "registered_on", type: "date", req, today: true},
  ]},
  decision: {participant: true, fields: [
    {name: "decision", type: "select", req, options: ["selected", "rejected"]},
    {name: "sector", type: "select", options: SECTORS},
    {name: "reason", type: "textarea", max: 2000},
    {name: "decided_on", type: "date", req, today: true},
  ]},
  training: {participant: true, fields: [
    {name: "kind", type: "select", req, options: ["course", "study_visit"]},
    {name: "course", type: "text", req, max: 300},
    {name: "trained_on", type: "date", req, today: true},
    {name: "provider", type: "text", max: 300},
    {name: "hours", type: "int"},
  ]},
  funding: {participant: true, fields: [
    {name: "source", type: "select", req, options: ["vbsp", "youth_union_120", "provincial_youth_credit",
      "commercial_bank", "enterprise", "other"]},
    {name: "amount_vnd", type: "int", req},
    {name: "disbursed_on", type: "date", req, today: true},
    {name: "lender", type: "text", max: 300},
    {name: "term_months", type: "int"},
  ]},
  support: {participant: true, fields: [
    {name: "kind", type: "select", req, options: ["input_output_linkage", "forum", "trade_fair", "trademark",
      "food_safety", "value_chain", "mentoring", "other"]},
    {name: "supported_on", type: "date", req, today: true},
    {name: "partner", type: "text", max: 300},
    {name: "description", type: "textarea", max: 4000},
  ]},
  evaluation: {participant: true, fields: [
    {name: "status", type: "select", req, options: ["successful", "on_track", "struggling", "discontinued"]},
    {name: "evaluated_on", type: "date", req, today: true},
    {name: "revenue_vnd", type: "int"},
    {name: "profit_vnd", type: "int"},
    {name: "jobs_created", type: "int"},
    {name: "note", type: "textarea", max: 4000},
  ]},
  commendation: {participant: true, fields: [
    {name: "title", type: "text", req, max: 300},
    {name: "commended_on", type: "date", req, today: true},
    {name: "issued_by", type: "text", max: 300},
  ]},
  replication: {participant: true, fields: [
    {name: "youth_name", type: "text", req, max: 200},
    {name: "org_unit", type: "commune", req},
    {name: "replicated_on", type: "date", req, today: true},
    {name: "note", type: "textarea", max: 4000},
  ]},
  repayment: {participant: true, loan: true, fields: [
    {name: "paid_on", type: "date", req, today: true},
    {name: "principal_vnd", type: "int", req},
    {name: "interest_vnd", type: "int"},
  ]},
  classification: {participant: true, loan: true, fields: [
    {name: "classified_on", type: "date", req, today: true},
    {name: "days_past_due", type: "int", req},
    {name: "status", label: "loan_status", type: "select", options: ["current", "overdue", "restructured",
      "written_off", "closed"]},
    {name: "note", type: "textarea", max: 2000},
  ]},
  retraction: {participant: false, fields: [
    {name: "reason", type: "textarea", req, max: 2000},
  ]},
};
